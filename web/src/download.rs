//! Saving exports: text files and charts (SVG as drawn, PNG rasterised
//! through a canvas). Everything stays in the page (Blob URLs).

use crate::errors::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A browser API's failure.
fn js(e: JsValue) -> Error {
    Error::Browser(format!("{e:?}"))
}

fn document() -> Result<web_sys::Document, Error> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Error::Browser("no document".into()))
}

fn save_blob(blob: &web_sys::Blob, filename: &str) -> Result<(), Error> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(js)?;
    let a: web_sys::HtmlAnchorElement = document()?
        .create_element("a")
        .map_err(js)?
        .dyn_into()
        .map_err(|_| Error::Browser("not an anchor".into()))?;
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    // revoke later: the download has to start first
    let cb = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 60_000);
    }
    Ok(())
}

/// Downloads `text` as `filename`.
///
/// # Errors
/// The browser refuses to create the blob.
pub fn save_text(text: &str, filename: &str, mime: &str) -> Result<(), Error> {
    save_js_text(&JsValue::from_str(text), filename, mime)
}

/// Downloads a JavaScript string as `filename` (no copy into wasm memory).
///
/// # Errors
/// `text` is not a string, or the browser refuses to create the blob.
pub fn save_js_text(text: &JsValue, filename: &str, mime: &str) -> Result<(), Error> {
    if !text.is_string() {
        return Err(Error::Browser(format!("{filename}: nothing to save")));
    }
    let parts = js_sys::Array::of1(text);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(js)?;
    save_blob(&blob, filename)
}

/// Downloads a JavaScript `Uint8Array` as `filename` (no copy into wasm memory).
///
/// # Errors
/// `bytes` is not a `Uint8Array`, or the browser refuses to create the blob.
pub fn save_js_bytes(bytes: &JsValue, filename: &str, mime: &str) -> Result<(), Error> {
    if !bytes.is_instance_of::<js_sys::Uint8Array>() {
        return Err(Error::Browser(format!("{filename}: nothing to save")));
    }
    let parts = js_sys::Array::of1(bytes);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(js)?;
    save_blob(&blob, filename)
}

/// Text for an SVG text node.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The export's header: the chart's title, its `data-export-subtitle`
/// (the rank and settings shown) and its `data-export-legend` (`fill label`
/// pairs, `;`-separated) as swatches; returns the markup and its height.
pub fn export_header(title: &str, subtitle: &str, legend: &str, width: f64) -> (String, f64) {
    let mut out = format!(
        r##"<text x="8" y="18" font-size="14" font-weight="bold">{}</text>"##,
        xml_escape(title)
    );
    let mut y = 24.0;
    if !subtitle.is_empty() {
        out += &format!(
            r##"<text x="8" y="{:.0}" font-size="11">{}</text>"##,
            y + 12.0,
            xml_escape(subtitle)
        );
        y += 16.0;
    }
    let items: Vec<(&str, &str)> = legend
        .split(';')
        .filter_map(|it| it.trim().split_once(' '))
        .collect();
    let per_row = ((width - 8.0) / 130.0).floor().max(1.0) as usize;
    for (k, (fill, label)) in items.iter().enumerate() {
        let x = 8.0 + (k % per_row) as f64 * 130.0;
        let yy = y + 4.0 + (k / per_row) as f64 * 16.0;
        out += &format!(
            r##"<rect x="{x:.0}" y="{yy:.0}" width="11" height="11" fill="{}"/><text x="{:.0}" y="{:.1}" font-size="10">{}</text>"##,
            xml_escape(fill),
            x + 15.0,
            yy + 9.5,
            xml_escape(label)
        );
    }
    if !items.is_empty() {
        y += 4.0 + items.len().div_ceil(per_row) as f64 * 16.0;
    }
    (out, y + 6.0)
}

/// The markup of the SVG element with id `id`, standalone (with xmlns and
/// the chart styles inlined by the chart itself), under a header with
/// `title`, the chart's subtitle and legend ([`export_header`]).
pub fn svg_markup(id: &str, title: &str) -> Result<String, Error> {
    let el = document()?
        .get_element_by_id(id)
        .ok_or_else(|| Error::Browser(format!("no chart '{id}' on the page")))?;
    let attr = |k: &str| el.get_attribute(k).unwrap_or_default();
    let num = |k: &str| attr(k).parse::<f64>().unwrap_or(400.0);
    let (w, h) = (num("width"), num("height"));
    let (header, top) = export_header(
        title,
        &attr("data-export-subtitle"),
        &attr("data-export-legend"),
        w,
    );
    let copy: web_sys::Element = el
        .clone_node_with_deep(true)
        .map_err(js)?
        .dyn_into()
        .map_err(|_| Error::Browser("not an element".into()))?;
    let _ = copy.set_attribute("x", "0");
    let _ = copy.set_attribute("y", &format!("{top:.0}"));
    let s = web_sys::XmlSerializer::new().map_err(js)?;
    let chart = s.serialize_to_string(&copy).map_err(js)?;
    let total = h + top;
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{total}" viewBox="0 0 {w} {total}" font-family="sans-serif"><rect width="{w}" height="{total}" fill="#ffffff"/>{header}{chart}</svg>"##
    ))
}

/// Downloads the chart `id` as SVG, with its title, subtitle and legend.
///
/// # Errors
/// The chart is not on the page.
pub fn save_svg(id: &str, title: &str, filename: &str) -> Result<(), Error> {
    save_text(&svg_markup(id, title)?, filename, "image/svg+xml")
}

/// Downloads the chart `id` as PNG (2× its on-screen size, white background).
///
/// # Errors
/// The chart is not on the page or the canvas is unavailable.
pub fn save_png(id: &str, title: &str, filename: &str) -> Result<(), Error> {
    let doc = document()?;
    let el = doc
        .get_element_by_id(id)
        .ok_or_else(|| Error::Browser(format!("no chart '{id}' on the page")))?;
    let markup = svg_markup(id, title)?;
    // the export's size (the chart's width; its height plus the header's),
    // as the outer `<svg>` of the markup says it
    let attr = |k: &str| el.get_attribute(k).and_then(|v| v.parse::<f64>().ok());
    let (cw, ch) = (
        attr("width").unwrap_or(400.0),
        attr("height").unwrap_or(400.0),
    );
    let total = markup
        .split_once(r#"height=""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(v, _)| v.parse::<f64>().ok())
        .unwrap_or(ch);
    let (w, h) = (cw * 2.0, total * 2.0);
    let parts = js_sys::Array::of1(&JsValue::from_str(&markup));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(js)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let img = web_sys::HtmlImageElement::new().map_err(js)?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(js)?
        .dyn_into()
        .map_err(|_| Error::Browser("not a canvas".into()))?;
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let name = filename.to_string();
    let img2 = img.clone();
    let src = url.clone();
    let doc2 = doc.clone();
    let onload = Closure::once_into_js(move || {
        let ctx = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok());
        if let Some(ctx) = ctx {
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, w, h);
            let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, 0.0, 0.0, w, h);
            if let Ok(data) = canvas.to_data_url_with_type("image/png") {
                if let Ok(a) = doc2.create_element("a") {
                    let a: web_sys::HtmlAnchorElement = a.unchecked_into();
                    a.set_href(&data);
                    a.set_download(&name);
                    a.click();
                }
            }
        }
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&src);
    Ok(())
}
