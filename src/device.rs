//! Device selection from a user string: `auto`, `cpu`, `cuda`, `cuda:N`.

use candle_core::{Device, DeviceLocation};

use crate::{Error, Result};

/// Parses a device string. `auto` picks CUDA device 0 when it works, else the CPU; an explicit
/// `cuda` that cannot be opened is an error (never a silent fallback).
pub fn parse_device(spec: &str) -> Result<Device> {
    match spec.trim().to_ascii_lowercase().as_str() {
        "cpu" => Ok(Device::Cpu),
        "auto" => Ok(cuda(0).unwrap_or(Device::Cpu)),
        "cuda" | "gpu" => cuda(0),
        s => match s.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(ordinal)) => cuda(ordinal),
            _ => Err(Error::InvalidArgument(format!(
                "unknown device '{spec}': use auto, cpu, cuda or cuda:N"
            ))),
        },
    }
}

fn cuda(ordinal: usize) -> Result<Device> {
    if !candle_core::utils::cuda_is_available() {
        return Err(Error::Device(format!(
            "cuda:{ordinal} requested, but this dinstyle was built without CUDA support \
             (rebuild with `--features cuda`)"
        )));
    }
    Device::new_cuda(ordinal)
        .map_err(|e| Error::Device(format!("cuda:{ordinal} is not usable: {e}")))
}

/// A short human name for logs: `cpu`, `cuda:0`.
pub fn device_name(device: &Device) -> String {
    match device.location() {
        DeviceLocation::Cpu => "cpu".into(),
        DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_auto() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device(" CPU ").unwrap().is_cpu());
        // Without the `cuda` feature, auto falls back to the CPU.
        #[cfg(not(feature = "cuda"))]
        assert!(parse_device("auto").unwrap().is_cpu());
    }

    #[test]
    fn rejects_unknown_and_absent_devices() {
        assert!(matches!(
            parse_device("tpu"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            parse_device("cuda:x"),
            Err(Error::InvalidArgument(_))
        ));
        #[cfg(not(feature = "cuda"))]
        assert!(matches!(parse_device("cuda:0"), Err(Error::Device(_))));
    }
}
