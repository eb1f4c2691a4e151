using ScottPlot;
using SkiaSharp;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// The font every ScottPlot chart is drawn with: DejaVu Sans 2.37, embedded in this assembly (Bitstream Vera
/// licence, Fonts/LICENSE.txt). Measured reason: ScottPlot's Skia native library (SkiaSharp.NativeAssets.Linux.NoDependencies,
/// which needs no native install) finds fonts only as files under /usr/share/fonts, and the .NET runtime images this
/// program ships in (deploy/k8s) have none, so there a chart came out with no title, no axis labels and no tick
/// labels, silently (checked with an empty directory mounted over /usr/share/fonts). One embedded font also makes a
/// chart the same on every machine.
/// </summary>
internal static class ChartFont
{
    public const string Name = "DejaVu Sans";

    private static readonly Lazy<SKTypeface> Typeface = new(() =>
    {
        using var stream = typeof(ChartFont).Assembly.GetManifestResourceStream("DejaVuSans.ttf")
            ?? throw new InvalidOperationException("the embedded chart font is missing from the assembly");
        return SKTypeface.FromStream(stream);
    });

    private static int _installed;

    /// <summary>Makes <see cref="Name"/> ScottPlot's default font, served from the embedded file (once per process).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1)
        {
            return;
        }

        Fonts.FontResolvers.Insert(0, new EmbeddedResolver());
        Fonts.Default = Name;
    }

    /// <summary>Answers every font name with the embedded face: charts name only the default.</summary>
    private sealed class EmbeddedResolver : IFontResolver
    {
        public SKTypeface CreateTypeface(string fontName, bool bold, bool italic) => Typeface.Value;

        public SKTypeface CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) => Typeface.Value;
    }
}
