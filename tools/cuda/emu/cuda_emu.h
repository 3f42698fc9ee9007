/* A CPU stand-in for the part of CUDA that tools/cuda/olmoe_cuda.cu uses, so that its kernels and
   host code run, unchanged, on a machine without a GPU (make cuda-emu): the kernels' indexing,
   barriers, shuffles, grouping, graph replay and host logic are then tested against olmoe.h by
   build/cuda/test_parity_emu. Not a performance model and not a race detector.

   Execution: one OS thread. A block's threads are fibers (ucontext) run round-robin; __syncthreads
   and the warp shuffles are barriers at which a fiber yields; blocks of a launch run one after the
   other, so `__shared__` can be a static variable. A fiber that returns leaves every barrier (as an
   exited CUDA thread does). Streams are in order and synchronous; a stream capture records the
   launches and copies, and a graph launch replays them. Device memory is host memory. */
#ifndef OCU_CUDA_EMU_H
#define OCU_CUDA_EMU_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <ucontext.h>
#include <functional>
#include <vector>
#include <chrono>
#include "../olmoe_cuda_common.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct uint4 { uint32_t x, y, z, w; };
struct float4 { float x, y, z, w; };
struct __half { uint16_t u; };
static inline float __half2float(__half h) { return ocu_fp16_to_fp32(h.u); }
static inline __half __float2half_rn(float f) { __half h; h.u = ocu_fp32_to_fp16(f); return h; }
static inline __half __ushort_as_half(uint16_t u) { __half h; h.u = u; return h; }
static inline int min(int a, int b) { return a < b ? a : b; }
#define __expf(x) expf(x)           /* glibc declares its own __expf */
#define __fdividef(a, b) ((a) / (b))

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidValue = 1, cudaErrorNotSupported = 801 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum { cudaStreamNonBlocking = 1 };
enum cudaStreamCaptureMode { cudaStreamCaptureModeThreadLocal = 1 };
typedef struct emu_stream *cudaStream_t;
typedef struct emu_graph *cudaGraph_t;
typedef struct emu_graph *cudaGraphExec_t;
typedef struct emu_event *cudaEvent_t;
struct cudaDeviceProp { char name[256]; int major, minor, multiProcessorCount; size_t totalGlobalMem; };

/* Fiber switch: on x86-64 a few instructions (callee-saved registers and the stack pointer);
   elsewhere ucontext (whose swapcontext makes two system calls per switch: ~50x slower). */
#if defined(__x86_64__) && !defined(OCU_EMU_UCONTEXT)
#define OCU_EMU_ASM 1
extern "C" void ocu_emu_switch(void **save_sp, void *to_sp);
__asm__(".text\n.globl ocu_emu_switch\n.type ocu_emu_switch,@function\nocu_emu_switch:\n"
        "pushq %rbp\npushq %rbx\npushq %r12\npushq %r13\npushq %r14\npushq %r15\n"
        "movq %rsp, (%rdi)\nmovq %rsi, %rsp\n"
        "popq %r15\npopq %r14\npopq %r13\npopq %r12\npopq %rbx\npopq %rbp\nret\n"
        ".size ocu_emu_switch, .-ocu_emu_switch\n");
#endif
namespace emu {
struct fiber { ucontext_t ctx; void *sp; int state; };   /* state: 0 runnable, 1 block barrier, 2 warp barrier, 3 done */
struct st {
    std::vector<fiber> f;
    std::vector<char> stacks;
    ucontext_t sched;
    void *sched_sp;
    int cur = 0, n = 0;
    std::function<void()> body;
    std::vector<char> dyn;
    uint64_t shfl[1024];
    bool capturing = false;
    std::vector<std::function<void()>> *rec = NULL;
};
static st &S() { static st s; return s; }
}
static dim3 threadIdx, blockIdx, blockDim, gridDim;
struct emu_graph { std::vector<std::function<void()>> ops; };
struct emu_event { double t; };

namespace emu {
static const size_t STACK = 64 * 1024;
static void to_sched() {
    st &s = S();
#ifdef OCU_EMU_ASM
    ocu_emu_switch(&s.f[s.cur].sp, s.sched_sp);
#else
    swapcontext(&s.f[s.cur].ctx, &s.sched);
#endif
}
static void fiber_main() {
    st &s = S();
    s.body();
    s.f[s.cur].state = 3;
    to_sched();   /* never resumed */
}
static void wait(int kind) {
    S().f[S().cur].state = kind;
    to_sched();
}
static void fiber_start(int i) {
    st &s = S();
    char *base = s.stacks.data() + (size_t)i * STACK;
#ifdef OCU_EMU_ASM
    /* as if ocu_emu_switch had saved 6 registers under a return into fiber_main (entered with the
       stack 8 off 16-byte alignment, as after a call) */
    uintptr_t top = ((uintptr_t)(base + STACK)) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = NULL;
    *--sp = (void *)fiber_main;
    for (int r = 0; r < 6; r++) *--sp = NULL;
    s.f[i].sp = sp;
#else
    getcontext(&s.f[i].ctx);
    s.f[i].ctx.uc_stack.ss_sp = base;
    s.f[i].ctx.uc_stack.ss_size = STACK;
    s.f[i].ctx.uc_link = NULL;
    makecontext(&s.f[i].ctx, fiber_main, 0);
#endif
}
static void resume(int i) {
    st &s = S();
#ifdef OCU_EMU_ASM
    ocu_emu_switch(&s.sched_sp, s.f[i].sp);
#else
    swapcontext(&s.sched, &s.f[i].ctx);
#endif
}
/* One block: every fiber to its end; a barrier opens when every live fiber of its scope waits there. */
static void run_block() {
    st &s = S();
    int n = s.n;
    if ((int)s.f.size() < n) s.f.resize((size_t)n);
    if (s.stacks.size() < (size_t)n * STACK) s.stacks.resize((size_t)n * STACK);
    for (int i = 0; i < n; i++) {
        fiber_start(i);
        s.f[i].state = 0;
    }
    for (;;) {
        int progressed = 0, live = 0;
        for (int i = 0; i < n; i++)
            if (s.f[i].state == 0) {
                s.cur = i;
                threadIdx = dim3((unsigned)(i % blockDim.x), (unsigned)(i / blockDim.x % blockDim.y), (unsigned)(i / (blockDim.x * blockDim.y)));
                resume(i);
                progressed = 1;
            }
        for (int i = 0; i < n; i++) live += s.f[i].state != 3;
        if (!live) return;
        if (progressed) continue;
        /* everyone live waits: open the block barrier if all wait there, else each full warp's */
        int all_block = 1;
        for (int i = 0; i < n; i++) if (s.f[i].state != 3 && s.f[i].state != 1) all_block = 0;
        if (all_block) { for (int i = 0; i < n; i++) if (s.f[i].state == 1) s.f[i].state = 0; continue; }
        int opened = 0;
        for (int w = 0; w < (n + 31) / 32; w++) {
            int ok = 1, any = 0;
            for (int i = w * 32; i < n && i < w * 32 + 32; i++) {
                if (s.f[i].state == 2) any = 1;
                else if (s.f[i].state != 3) ok = 0;
            }
            if (ok && any) { for (int i = w * 32; i < n && i < w * 32 + 32; i++) if (s.f[i].state == 2) s.f[i].state = 0; opened = 1; }
        }
        if (!opened) { fprintf(stderr, "cuda_emu: deadlock (threads wait at different barriers)\n"); abort(); }
    }
}
static void launch_now(dim3 g, dim3 b, size_t smem, std::function<void()> body) {
    st &s = S();
    gridDim = g; blockDim = b;
    s.n = (int)(b.x * b.y * b.z);
    s.dyn.assign(smem + 16, (char)0xFF);
    s.body = body;
    for (unsigned z = 0; z < g.z; z++)
        for (unsigned y = 0; y < g.y; y++)
            for (unsigned x = 0; x < g.x; x++) {
                blockIdx = dim3(x, y, z);
                run_block();
            }
}
static void enqueue(std::function<void()> op) {
    st &s = S();
    if (s.capturing) s.rec->push_back(op);
    else op();
}
template <class K>
struct launcher {
    K k; dim3 g, b; size_t smem;
    template <class... A> void operator()(A... a) {
        K kk = k;
        dim3 gg = g, bb = b;
        size_t sm = smem;
        enqueue([=]() { launch_now(gg, bb, sm, [=]() { kk(a...); }); });
    }
};
template <class K> launcher<K> make(dim3 g, dim3 b, size_t smem, K k) { launcher<K> l; l.k = k; l.g = g; l.b = b; l.smem = smem; return l; }
}

#define OCU_LAUNCH(grid, block, smem, stream, ...) emu::make(dim3(grid), dim3(block), (size_t)(smem), __VA_ARGS__)
#define OCU_DYN_SHARED(type, name) type *name = (type *)(void *)emu::S().dyn.data()

static inline void __syncthreads() { emu::wait(1); }
template <class T> static inline T __shfl_xor_sync(unsigned mask, T v, int o) {
    emu::st &s = emu::S();
    int i = s.cur, j = (i & ~31) | ((i & 31) ^ o);
    uint64_t u = 0;
    T r;
    (void)mask;
    memcpy(&u, &v, sizeof v);
    s.shfl[i] = u;
    emu::wait(2);
    memcpy(&r, &s.shfl[j], sizeof r);
    emu::wait(2);
    return r;
}

static inline const char *cudaGetErrorString(cudaError_t e) {
    return e == cudaSuccess ? "no error" : e == cudaErrorMemoryAllocation ? "out of memory" : "emulated CUDA error";
}
static inline cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
static inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
static inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int) {
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "cuda_emu (kernels on the CPU)");
    p->major = 9; p->multiProcessorCount = 1; p->totalGlobalMem = (size_t)1 << 34;
    return cudaSuccess;
}
static inline cudaError_t cudaGetLastError() { return cudaSuccess; }
template <class T> static inline cudaError_t cudaMalloc(T **p, size_t n) { *p = (T *)malloc(n); return *p ? cudaSuccess : cudaErrorMemoryAllocation; }
static inline cudaError_t cudaMalloc(void **p, size_t n) { *p = malloc(n); return *p ? cudaSuccess : cudaErrorMemoryAllocation; }
static inline cudaError_t cudaMallocHost(void **p, size_t n) { return cudaMalloc(p, n); }
static inline cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
static inline cudaError_t cudaFreeHost(void *p) { free(p); return cudaSuccess; }
static inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind) { memmove(d, s, n); return cudaSuccess; }
static inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind, cudaStream_t) {
    emu::enqueue([=]() { memmove(d, s, n); });
    return cudaSuccess;
}
static inline cudaError_t cudaMemset(void *d, int v, size_t n) { memset(d, v, n); return cudaSuccess; }
static inline cudaError_t cudaMemsetAsync(void *d, int v, size_t n, cudaStream_t) { emu::enqueue([=]() { memset(d, v, n); }); return cudaSuccess; }
static inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, int) { *s = (cudaStream_t)(uintptr_t)1; return cudaSuccess; }
static inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
    emu::st &s = emu::S();
    s.capturing = true;
    s.rec = new std::vector<std::function<void()>>();
    return cudaSuccess;
}
static inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g) {
    emu::st &s = emu::S();
    *g = new emu_graph();
    (*g)->ops = *s.rec;
    delete s.rec;
    s.rec = NULL;
    s.capturing = false;
    return cudaSuccess;
}
static inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t *e, cudaGraph_t g, unsigned long long) { *e = new emu_graph(*g); return cudaSuccess; }
static inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) { for (size_t i = 0; i < e->ops.size(); i++) e->ops[i](); return cudaSuccess; }
static inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return cudaSuccess; }
static inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { delete e; return cudaSuccess; }
static inline double emu_now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static inline cudaError_t cudaEventCreate(cudaEvent_t *e) { *e = new emu_event(); return cudaSuccess; }
static inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete e; return cudaSuccess; }
static inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) { e->t = emu_now(); return cudaSuccess; }
static inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
static inline cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) { *ms = (float)((b->t - a->t) * 1e3); return cudaSuccess; }
#endif
