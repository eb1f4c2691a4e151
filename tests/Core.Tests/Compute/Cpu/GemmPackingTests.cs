using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

/// <summary>
/// A panels packed from a row-major A: every value lands in its lane, padding lanes are zero, and nothing is written
/// past the panel (the six-row path stores eight wide and relies on the next line to overwrite the extra two).
/// </summary>
public sealed class GemmPackingTests
{
    private const int Rows = GemmMicroKernel.Rows;

    [Theory]
    [InlineData(6, 1)]
    [InlineData(6, 7)]
    [InlineData(6, 8)]
    [InlineData(6, 9)]
    [InlineData(6, 16)]
    [InlineData(12, 37)]
    [InlineData(13, 64)]
    [InlineData(17, 131)]
    public void EachPanelHoldsItsRowsLaneByLaneAndNothingElse(int m, int k)
    {
        var a = Enumerable.Range(0, m * k).Select(i => (float)(i + 1)).ToArray();
        var panels = (m + Rows - 1) / Rows;
        const float untouched = -7f;
        for (var panel = 0; panel < panels; panel++)
        {
            // The panel sits between two guard regions the packer must not touch.
            var buffer = Enumerable.Repeat(untouched, (k * Rows) + 32).ToArray();
            GemmPacking.PackA(a, transposed: false, m, k, panel, buffer.AsSpan(16, k * Rows));

            Assert.All(buffer[..16], v => Assert.Equal(untouched, v));
            Assert.All(buffer[(16 + (k * Rows))..], v => Assert.Equal(untouched, v));
            for (var p = 0; p < k; p++)
            {
                for (var r = 0; r < Rows; r++)
                {
                    var row = (panel * Rows) + r;
                    var expected = row < m ? a[(row * k) + p] : 0f;
                    Assert.Equal(expected, buffer[16 + (p * Rows) + r]);
                }
            }
        }
    }
}
