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

/// The markup of the SVG element with id `id`, standalone (with xmlns and
/// the chart styles inlined by the chart itself).
pub fn svg_markup(id: &str) -> Result<String, Error> {
    let el = document()?
        .get_element_by_id(id)
        .ok_or_else(|| Error::Browser(format!("no chart '{id}' on the page")))?;
    let _ = el.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    let s = web_sys::XmlSerializer::new().map_err(js)?;
    s.serialize_to_string(&el).map_err(js)
}

/// Downloads the chart `id` as SVG.
///
/// # Errors
/// The chart is not on the page.
pub fn save_svg(id: &str, filename: &str) -> Result<(), Error> {
    save_text(&svg_markup(id)?, filename, "image/svg+xml")
}

/// Downloads the chart `id` as PNG (2× its on-screen size, white background).
///
/// # Errors
/// The chart is not on the page or the canvas is unavailable.
pub fn save_png(id: &str, filename: &str) -> Result<(), Error> {
    let doc = document()?;
    let el = doc
        .get_element_by_id(id)
        .ok_or_else(|| Error::Browser(format!("no chart '{id}' on the page")))?;
    let rect = el.get_bounding_client_rect();
    let (w, h) = (rect.width().max(1.0) * 2.0, rect.height().max(1.0) * 2.0);
    let markup = svg_markup(id)?;
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
