//! Wall time and peak memory of one benchmark step.
//!
//! In-process steps: the kernel's resident-set high-water mark is reset by
//! writing `5` to `/proc/self/clear_refs` before the step, and `VmHWM` is
//! read from `/proc/self/status` after it; the peak therefore includes what
//! the process already held (the data of the run). Subprocesses (vamb): the
//! child's own `ru_maxrss` from `wait4`. Off Linux, memory is not reported.

use crate::errors::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

/// Time and peak memory of one step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step name (`simulate`, `features`, `teacher`, `train:student_soft`, …).
    pub name: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak resident memory during the step, MiB (`None` where not measurable).
    pub peak_rss_mib: Option<f64>,
}

/// Resets the resident-set high-water mark of this process (Linux ≥ 4.0).
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` of this process, MiB.
fn read_hwm_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs `f` as a measured step.
///
/// # Errors
/// Whatever `f` returns.
pub fn step<T, E>(
    name: &str,
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<(T, StepRecord), E> {
    let reset = reset_hwm();
    let t0 = Instant::now();
    let out = f()?;
    let seconds = t0.elapsed().as_secs_f64();
    let peak_rss_mib = if reset { read_hwm_mib() } else { None };
    Ok((
        out,
        StepRecord {
            name: name.to_string(),
            seconds,
            peak_rss_mib,
        },
    ))
}

/// Runs a command to completion with stdout and stderr into `log`, as a
/// measured step (peak memory = the child's `ru_maxrss`).
///
/// # Errors
/// [`Error::Io`] when the log cannot be created, [`Error::Subprocess`] when
/// the command cannot be started or waited for (not a failed exit status:
/// that is returned).
pub fn subprocess(name: &str, cmd: &mut Command, log: &Path) -> Result<(ExitStatus, StepRecord)> {
    let io = |e: std::io::Error| Error::Io {
        path: log.display().to_string(),
        reason: format!("cannot create: {e}"),
    };
    let f = std::fs::File::create(log).map_err(io)?;
    let f2 = f.try_clone().map_err(io)?;
    let program = format!("{:?}", cmd.get_program());
    let t0 = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(f))
        .stderr(Stdio::from(f2))
        .spawn()
        .map_err(|e| Error::Subprocess {
            program: program.clone(),
            reason: format!("cannot start: {e}"),
        })?;
    let (status, maxrss_kib) = wait_with_rusage(child).map_err(|e| Error::Subprocess {
        program,
        reason: format!("waiting for it: {e}"),
    })?;
    Ok((
        status,
        StepRecord {
            name: name.to_string(),
            seconds: t0.elapsed().as_secs_f64(),
            peak_rss_mib: maxrss_kib.map(|k| k as f64 / 1024.0),
        },
    ))
}

#[cfg(target_os = "linux")]
fn wait_with_rusage(child: std::process::Child) -> std::io::Result<(ExitStatus, Option<i64>)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unwaited child; the pointers are valid for the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // the child is reaped: drop the handle without waiting again
    drop(child);
    Ok((ExitStatus::from_raw(status), Some(ru.ru_maxrss)))
}

#[cfg(not(target_os = "linux"))]
fn wait_with_rusage(mut child: std::process::Child) -> std::io::Result<(ExitStatus, Option<i64>)> {
    Ok((child.wait()?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_process_step_sees_its_own_allocation_in_the_peak() {
        let (_, before) = step("small", || Ok::<_, Error>(())).unwrap();
        let (n, rec) = step("big", || {
            let v = vec![1u8; 64 << 20];
            Ok::<_, Error>(v.iter().map(|&x| x as usize).sum::<usize>())
        })
        .unwrap();
        assert_eq!(n, 64 << 20);
        if let (Some(a), Some(b)) = (before.peak_rss_mib, rec.peak_rss_mib) {
            assert!(b >= a + 50.0, "peak {b} MiB vs {a} MiB before");
        }
        assert!(rec.seconds >= 0.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_subprocess_reports_its_exit_status_and_peak_memory() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let (st, rec) = subprocess(
            "sh",
            Command::new("sh").args(["-c", "echo hello; exit 3"]),
            &log,
        )
        .unwrap();
        assert_eq!(st.code(), Some(3));
        assert!(rec.peak_rss_mib.unwrap() > 0.0);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "hello\n");
    }
}
