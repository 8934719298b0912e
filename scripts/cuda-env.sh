# Sourced: a CUDA 13.0 toolchain for `--features cuda` without a system CUDA install, and the
# environment cargo needs to use it. Everything comes from NVIDIA's PyPI wheels (nvcc, cuBLAS,
# cuRAND, NVRTC) into $DINSTYLE_CUDA (default ~/.cache/dinstyle/cu13); safe to source again.
#
# Why 13.0 exactly: nvcc 13.1+ emits PTX that a CUDA 13.0 driver (driver 580) refuses, and the
# binary links the CUDA 13 libraries by soname, so it runs on any driver >= 580.
# CUDA_COMPUTE_CAP (default 90 = H100/H200) picks the GPU the kernels are compiled for.
set -euo pipefail

DINSTYLE_CUDA=${DINSTYLE_CUDA:-$HOME/.cache/dinstyle/cu13}
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ ! -x "$DINSTYLE_CUDA/venv/bin/pip" ]; then
    # Debian's python3 has no venv/ensurepip until python3-venv is installed.
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        echo "cuda-env: installing python3-venv" >&2
        sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_=sudo
        $sudo_ apt-get update -qq
        $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
    python3 -m venv "$DINSTYLE_CUDA/venv"
fi
_site=$("$DINSTYLE_CUDA/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
_cu="$_site/nvidia/cu13"
if [ ! -x "$_cu/bin/nvcc" ] || [ ! -e "$_cu/lib/libcublas.so.13" ] || [ ! -e "$_cu/include/nv/target" ]; then
    echo "cuda-env: installing the CUDA 13.0 wheels into $DINSTYLE_CUDA (about 1.2 GB)" >&2
    "$DINSTYLE_CUDA/venv/bin/pip" install -q --disable-pip-version-check \
        "nvidia-cuda-nvcc==13.0.88" "nvidia-nvvm==13.0.88" "nvidia-cuda-crt==13.0.88" \
        "nvidia-cuda-runtime==13.0.96" "nvidia-cuda-nvrtc==13.0.88" "nvidia-cuda-cccl==13.0.85" \
        "nvidia-cublas==13.0.2.14" "nvidia-curand==10.4.0.35"
fi

# The linker wants unversioned names; the wheels ship only sonames.
mkdir -p "$DINSTYLE_CUDA/lib/stubs"
for lib in cublas cublasLt curand nvrtc cudart; do
    so=$(ls "$_cu/lib/lib$lib.so."* 2>/dev/null | grep -v -e builtins -e alt | head -1)
    [ -n "$so" ] || { echo "cuda-env: lib$lib.so.* missing in $_cu/lib" >&2; return 1; }
    ln -sfn "$so" "$DINSTYLE_CUDA/lib/lib$lib.so"
done

# libcuda.so comes with the GPU driver, which a build machine need not have. Link against a stub
# with the driver API's symbols and soname libcuda.so.1 (what NVIDIA's toolkit stub is); at run
# time the real driver library is loaded. The symbol list is cudarc's driver API bindings.
if [ ! -e "$DINSTYLE_CUDA/lib/stubs/libcuda.so" ]; then
    _ver=$(sed -n '/^name = "cudarc"$/{n;s/^version = "\(.*\)"$/\1/p}' "$_root/Cargo.lock")
    (cd "$_root" && cargo fetch --locked >/dev/null)
    _cudarc=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cudarc-$_ver" 2>/dev/null | head -1 || true)
    [ -n "$_cudarc" ] || { echo "cuda-env: cudarc sources not found (cargo fetch)" >&2; return 1; }
    grep -oE '^\s+fn cu[A-Za-z0-9_]+\(' "$_cudarc/src/driver/sys/mod.rs" |
        sed -E 's/^\s+fn (cu[A-Za-z0-9_]+)\(/int \1(void) { return 999; }/' | sort -u \
        >"$DINSTYLE_CUDA/lib/stubs/libcuda-stub.c"
    cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$DINSTYLE_CUDA/lib/stubs/libcuda.so" \
        "$DINSTYLE_CUDA/lib/stubs/libcuda-stub.c"
fi

export CUDA_HOME="$DINSTYLE_CUDA"
export NVCC="$_cu/bin/nvcc"
export PATH="$_cu/bin:$PATH"
export CUDARC_CUDA_VERSION=13000
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
# nvcc finds its headers and libdevice next to itself; cudafe++/ptxas are in bin/.
export CPATH="$_cu/include${CPATH:+:$CPATH}"
unset _site _root _cudarc _ver
