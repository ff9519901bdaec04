"""Code provenance for C, C++, CUDA, Objective-C and Metal: the same evidence rules as for Python."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import api
from lintml.provenance.normalize import normalize_generic
from tests.helpers import MIT_TEXT

QUANTIZE_C = """\
#include <math.h>
#include <stdint.h>
#include <string.h>

// Quantize a row of floats to blocks of 32 signed bytes with one scale per block.
typedef struct {
    float scale;
    int8_t values[32];
} block_q8;

static float block_absmax(const float * x, int n) {
    float amax = 0.0f;
    for (int i = 0; i < n; i++) {
        const float v = fabsf(x[i]);
        if (v > amax) {
            amax = v;
        }
    }
    return amax;
}

void quantize_row_q8(const float * restrict x, block_q8 * restrict y, int64_t k) {
    const int nb = k / 32;
    for (int i = 0; i < nb; i++) {
        const float amax = block_absmax(x + i*32, 32);
        const float d = amax / ((1 << 7) - 1);
        const float id = d ? 1.0f/d : 0.0f;
        y[i].scale = d;
        for (int j = 0; j < 32; ++j) {
            const float x0 = x[i*32 + j]*id;
            y[i].values[j] = (int8_t) roundf(x0);
        }
    }
}

void dequantize_row_q8(const block_q8 * restrict x, float * restrict y, int64_t k) {
    const int nb = k / 32;
    for (int i = 0; i < nb; i++) {
        const float d = x[i].scale;
        for (int j = 0; j < 32; ++j) {
            y[i*32 + j] = x[i].values[j]*d;
        }
    }
}
"""

# What a copier makes of it: every name the file defines renamed, comments gone, another layout
# (what clang-format's GNU style with Allman braces does to it).
QUANTIZE_COPY = """\
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct
{
  float s;
  int8_t q[32];
} qblock;

static float
max_abs (const float *src, int count)
{
  float m = 0.0f;
  for (int a = 0; a < count; a++)
    {
      const float t = fabsf (src[a]);
      if (t > m)
        {
          m = t;
        }
    }
  return m;
}

void
pack_row (const float *restrict src, qblock *restrict dst, int64_t len)
{
  const int blocks = len / 32;
  for (int a = 0; a < blocks; a++)
    {
      const float m = max_abs (src + a * 32, 32);
      const float scale = m / ((1 << 7) - 1);
      const float inv = scale ? 1.0f / scale : 0.0f;
      dst[a].s = scale;
      for (int b = 0; b < 32; ++b)
        {
          const float t = src[a * 32 + b] * inv;
          dst[a].q[b] = (int8_t)roundf (t);
        }
    }
}

void
unpack_row (const qblock *restrict src, float *restrict dst, int64_t len)
{
  const int blocks = len / 32;
  for (int a = 0; a < blocks; a++)
    {
      const float scale = src[a].s;
      for (int b = 0; b < 32; ++b)
        {
          dst[a * 32 + b] = src[a].q[b] * scale;
        }
    }
}
"""

SOFTMAX_METAL = """\
#include <metal_stdlib>
using namespace metal;

kernel void kernel_soft_max(
        device const float * src0,
        device       float * dst,
        constant   int64_t & ne00,
        constant     float & scale,
        threadgroup  float * buf [[threadgroup(0)]],
        uint  tgpig[[threadgroup_position_in_grid]],
        uint  tpitg[[thread_position_in_threadgroup]],
        uint  ntg[[threads_per_threadgroup]]) {
    device const float * psrc0 = src0 + tgpig*ne00;
    device       float * pdst  = dst  + tgpig*ne00;
    float lmax = -INFINITY;
    for (int i00 = tpitg; i00 < ne00; i00 += ntg) {
        lmax = MAX(lmax, psrc0[i00]*scale);
    }
    float max_val = simd_max(lmax);
    float lsum = 0.0f;
    for (int i00 = tpitg; i00 < ne00; i00 += ntg) {
        const float exp_psrc0 = exp((psrc0[i00]*scale) - max_val);
        lsum += exp_psrc0;
        pdst[i00] = exp_psrc0;
    }
    float sum = simd_sum(lsum);
    const float inv_sum = 1.0f/sum;
    for (int i00 = tpitg; i00 < ne00; i00 += ntg) {
        pdst[i00] *= inv_sum;
    }
}
"""

DEVICE_M = """\
#import "device.h"
#import <Metal/Metal.h>

@implementation DeviceInfo

- (instancetype)initWithDevice:(id<MTLDevice>)device {
    self = [super init];
    if (self) {
        _device = device;
        _name = [device.name copy];
        _hasUnifiedMemory = device.hasUnifiedMemory;
        _maxBufferLength = device.maxBufferLength;
        _supportsSimdReduction = [device supportsFamily:MTLGPUFamilyApple7];
    }
    return self;
}

- (NSUInteger)recommendedWorkingSet {
    if (@available(macOS 10.12, iOS 16.0, *)) {
        return self.device.recommendedMaxWorkingSetSize;
    }
    return self.maxBufferLength;
}

- (NSString *)describe {
    return [NSString stringWithFormat:@"%@ unified=%d max=%lu simd=%d", self.name, self.hasUnifiedMemory,
            (unsigned long)self.maxBufferLength, self.supportsSimdReduction];
}

@end
"""

ENCODER_MM = """\
#import <CoreML/CoreML.h>
#include <stdlib.h>

struct encoder_context {
    const void * data;
};

struct encoder_context * encoder_init(const char * path_model) {
    NSString * path_model_str = [[NSString alloc] initWithUTF8String:path_model];
    NSURL * url_model = [NSURL fileURLWithPath: path_model_str];
    MLModelConfiguration *config = [[MLModelConfiguration alloc] init];
    config.computeUnits = MLComputeUnitsAll;
    const void * data = CFBridgingRetain([[whisper_encoder_impl alloc] initWithContentsOfURL:url_model
                                                                              configuration:config
                                                                                      error:nil]);
    if (data == NULL) {
        return NULL;
    }
    encoder_context * ctx = new encoder_context;
    ctx->data = data;
    return ctx;
}

void encoder_free(struct encoder_context * ctx) {
    if (ctx) {
        CFRelease(ctx->data);
        delete ctx;
    }
}
"""

ADD_CU = """\
#include <cuda_runtime.h>

template <typename T, int block_size>
static __global__ void k_add_rows(const T * x, const T * y, T * dst, const int ncols, const int nrows) {
    const int row = blockIdx.x;
    const int tid = threadIdx.x;
    if (row >= nrows) {
        return;
    }
    for (int col = tid; col < ncols; col += block_size) {
        const int i = row*ncols + col;
        dst[i] = x[i] + y[i % ncols];
    }
}

template <typename T>
void add_rows_cuda(const T * x, const T * y, T * dst, const int ncols, const int nrows, cudaStream_t stream) {
    const int block_size = 256;
    const dim3 block_nums(nrows, 1, 1);
    const dim3 block_dims(block_size, 1, 1);
    k_add_rows<T, block_size><<<block_nums, block_dims, 0, stream>>>(x, y, dst, ncols, nrows);
}
"""

UPSTREAM_FILES = {
    "src/quants.c": QUANTIZE_C,
    "src/metal/soft_max.metal": SOFTMAX_METAL,
    "src/metal/device.m": DEVICE_M,
    "coreml/encoder.mm": ENCODER_MM,
    "src/cuda/add.cu": ADD_CU,
}


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.c", "c"),
        ("a.metal", "c++"),
        ("a.m", "objective-c"),
        ("a.mm", "objective-c++"),
        ("a.cu", "cuda"),
    ],
)
def test_c_family_files_are_fingerprinted_with_their_language(path: str, language: str) -> None:
    source = {"c": QUANTIZE_C, "metal": SOFTMAX_METAL, "m": DEVICE_M, "mm": ENCODER_MM, "cu": ADD_CU}
    stream = normalize_generic(path, source[path.rsplit(".", 1)[1]])
    assert stream.language == language
    assert len(stream) >= 100
    assert "V" in stream.symbols and "{" in stream.symbols


def test_a_renamed_reformatted_c_copy_and_verbatim_metal_objc_cuda_copies_are_found(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"LICENSE": MIT_TEXT, **UPSTREAM_FILES}, name="kernels")
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("kernels", str(upstream), "MIT")], index_path=index, jobs=1)
    local = make_repo(
        {
            "csrc/pack.c": QUANTIZE_COPY,
            "shaders/softmax.metal": SOFTMAX_METAL,
            "ios/info.m": DEVICE_M,
            "ios/encoder.mm": ENCODER_MM,
            "cuda/rows.cu": ADD_CU,
            "csrc/unrelated.c": "int main(void) {\n    return 0;\n}\n",
        },
        name="local",
    )

    result = api.check([local], indexes=[index], use_catalog=False, select=["provenance"])
    found = {finding.path: finding.upstream for finding in result.findings if finding.upstream}

    expected = {
        "csrc/pack.c": "src/quants.c",
        "shaders/softmax.metal": "src/metal/soft_max.metal",
        "ios/info.m": "src/metal/device.m",
        "ios/encoder.mm": "coreml/encoder.mm",
        "cuda/rows.cu": "src/cuda/add.cu",
    }
    assert {path: upstream.path for path, upstream in found.items()} == expected
    renames = dict(found["csrc/pack.c"].renames)
    assert renames["quantize_row_q8"] == "pack_row" and renames["amax"] == "m"


ROW_SOFTMAX_CU = """\
#include <cuda_fp16.h>
#include <torch/extension.h>

template <int block_size>
__global__ void row_softmax_kernel(const __half * input, __half * output, const int cols) {
    __shared__ float scratch[block_size];
    const int row = blockIdx.x;
    const int tid = threadIdx.x;
    const __half * in_row = input + row * cols;
    __half * out_row = output + row * cols;

    float local_max = -INFINITY;
    for (int col = tid; col < cols; col += block_size) {
        local_max = fmaxf(local_max, __half2float(in_row[col]));
    }
    scratch[tid] = local_max;
    __syncthreads();
    for (int stride = block_size / 2; stride > 0; stride /= 2) {
        if (tid < stride) {
            scratch[tid] = fmaxf(scratch[tid], scratch[tid + stride]);
        }
        __syncthreads();
    }
    const float row_max = scratch[0];
    __syncthreads();

    float local_sum = 0.0f;
    for (int col = tid; col < cols; col += block_size) {
        local_sum += __expf(__half2float(in_row[col]) - row_max);
    }
    scratch[tid] = local_sum;
    __syncthreads();
    for (int stride = block_size / 2; stride > 0; stride /= 2) {
        if (tid < stride) {
            scratch[tid] += scratch[tid + stride];
        }
        __syncthreads();
    }
    const float inv_sum = 1.0f / scratch[0];
    for (int col = tid; col < cols; col += block_size) {
        out_row[col] = __float2half(__expf(__half2float(in_row[col]) - row_max) * inv_sum);
    }
}

at::Tensor row_softmax(const at::Tensor & input) {
    const int rows = input.size(0);
    const int cols = input.size(1);
    at::Tensor output = at::empty_like(input);
    row_softmax_kernel<256><<<rows, 256>>>(
        reinterpret_cast<const __half *>(input.data_ptr<at::Half>()),
        reinterpret_cast<__half *>(output.data_ptr<at::Half>()),
        cols);
    return output;
}
"""


def test_a_cuda_port_to_other_types_and_namespaces_is_reported_with_its_real_rename_only() -> None:
    """A bfloat16 port of a half-precision kernel, written against ``torch::`` rather than ``at::``, that
    renamed ``cols``: the compiler's reserved names and the namespaces are consistent pairs too, never renames."""
    from lintml.provenance.align import align
    from lintml.provenance.renames import differing_names, rename_map

    port = ROW_SOFTMAX_CU
    for old, new in [
        ("cuda_fp16.h", "cuda_bf16.h"),
        ("__half2float", "__bfloat162float"),
        ("__float2half", "__float2bfloat16"),
        ("__half", "__nv_bfloat16"),
        ("at::Half", "at::BFloat16"),
        ("at::", "torch::"),
        ("cols", "width"),
    ]:
        assert old in port, old
        port = port.replace(old, new)
    upstream, local = normalize_generic("softmax.cu", ROW_SOFTMAX_CU), normalize_generic("softmax.cu", port)
    alignment = align(local, upstream)
    assert alignment.is_match

    differing = {(old, new) for old, new, _ in differing_names(local, upstream, alignment.tiles)}
    assert {("__half", "__nv_bfloat16"), ("at", "torch"), ("Half", "BFloat16"), ("cols", "width")} <= differing
    assert rename_map(local, upstream, alignment.tiles) == (("cols", "width", 8),)
