using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// The handful of vector operations the GEMM micro-kernel needs, over one register width. Kernels are generic
/// over a struct implementing this, so the JIT compiles one specialised copy per width with the vectors held in
/// registers; the width is picked once per process from what the processor accelerates.
/// </summary>
internal interface ISimdOps<TVec>
    where TVec : struct
{
    static abstract int Width { get; }

    static abstract TVec Load(ref float source);

    static abstract void Store(TVec value, ref float destination);

    static abstract TVec Broadcast(float value);

    /// <summary>a·b + c, fused where the processor has FMA (one rounding), else a multiply then an add.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
}

internal readonly struct Simd512 : ISimdOps<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(a, b, c);
}

internal readonly struct Simd256 : ISimdOps<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Vector256.FusedMultiplyAdd(a, b, c) : (a * b) + c;
}

internal readonly struct Simd128 : ISimdOps<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source) => Vector128.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(a, b, c) : (a * b) + c;
}

/// <summary>The register width the GEMM uses on this processor.</summary>
internal enum SimdWidth
{
    Bits128 = 128,
    Bits256 = 256,
    Bits512 = 512,
}

internal static class SimdSupport
{
    /// <summary>The widest width the processor accelerates.</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.Bits512
        : Vector256.IsHardwareAccelerated ? SimdWidth.Bits256
        : SimdWidth.Bits128;

    public static bool Fused => Fma.IsSupported || AdvSimd.IsSupported;

    public static int VectorFloats(SimdWidth width) => (int)width / 32;

    public static string Describe(SimdWidth width) => $"{(int)width}-bit {(Fused ? "FMA" : "mul+add")}";
}
