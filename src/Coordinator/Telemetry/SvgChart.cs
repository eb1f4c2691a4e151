using System.Globalization;
using System.Security;
using System.Text;

namespace Distributed.Coordinator.Telemetry;

/// <summary>One line of a chart: its points, colour, and whether each point gets a marker.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string Color, bool Markers = false, double StrokeWidth = 2);

/// <summary>A plot area sharing the chart's x axis with the others, stacked top to bottom.</summary>
internal sealed record ChartPanel(string YLabel, IReadOnlyList<ChartSeries> Series, bool LogY = false, double? YMin = null, double? YMax = null);

/// <summary>
/// Line charts as plain SVG text: no native graphics library (ScottPlot would need SkiaSharp's native assets in
/// every container image), opens in any browser, and stays diffable. Linear or log-10 axes with round ticks; a
/// series longer than <see cref="MaxPoints"/> is averaged down so a long run still gives a small file.
/// </summary>
internal static class SvgChart
{
    public const int MaxPoints = 2000;

    private const double Left = 78;
    private const double Right = 24;
    private const double Top = 44;
    private const double Gap = 36;
    private const double Bottom = 52;

    /// <param name="xTicks">Tick values for the x axis (say, powers of two for byte sizes) instead of round decimal ones.</param>
    public static string Render(string title, string xLabel, IReadOnlyList<ChartPanel> panels, bool logX = false, Func<double, string>? xFormat = null, IReadOnlyList<double>? xTicks = null, int width = 860, int panelHeight = 280)
    {
        var height = Top + (panels.Count * panelHeight) + ((panels.Count - 1) * Gap) + Bottom;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:0}\" viewBox=\"0 0 {width} {height:0}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Inv($"<rect width=\"{width}\" height=\"{height:0}\" fill=\"white\"/>\n"));
        svg.Append(Inv($"<text x=\"{width / 2.0:0}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{Escape(title)}</text>\n"));

        var allX = panels.SelectMany(p => p.Series).SelectMany(s => s.Points).Select(p => p.X).Where(x => double.IsFinite(x) && (!logX || x > 0)).ToArray();
        var (xMin, xMax) = xTicks is null || allX.Length == 0
            ? Range(allX, logX, null, null)
            : logX ? (allX.Min() / 1.25, allX.Max() * 1.25) : Range(allX, false, null, null);
        var plotWidth = width - Left - Right;
        for (var i = 0; i < panels.Count; i++)
        {
            var panel = panels[i];
            var top = Top + (i * (panelHeight + Gap));
            var ys = panel.Series.SelectMany(s => s.Points).Select(p => p.Y).Where(y => double.IsFinite(y) && (!panel.LogY || y > 0)).ToArray();
            var (yMin, yMax) = Range(ys, panel.LogY, panel.YMin, panel.YMax);
            double X(double x) => Left + (plotWidth * (Scale(x, logX) - Scale(xMin, logX)) / (Scale(xMax, logX) - Scale(xMin, logX)));
            double Y(double y) => top + panelHeight - (panelHeight * (Scale(y, panel.LogY) - Scale(yMin, panel.LogY)) / (Scale(yMax, panel.LogY) - Scale(yMin, panel.LogY)));

            svg.Append(Inv($"<g class=\"panel\">\n<rect x=\"{Left}\" y=\"{top:0.#}\" width=\"{plotWidth:0.#}\" height=\"{panelHeight}\" fill=\"none\" stroke=\"#888\"/>\n"));
            foreach (var t in Ticks(yMin, yMax, panel.LogY))
            {
                svg.Append(Inv($"<line x1=\"{Left}\" x2=\"{Left + plotWidth:0.#}\" y1=\"{Y(t):0.#}\" y2=\"{Y(t):0.#}\" stroke=\"#eee\"/>"));
                svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{Y(t) + 4:0.#}\" text-anchor=\"end\">{Escape(Number(t))}</text>\n"));
            }

            foreach (var t in xTicks?.Where(t => t >= xMin && t <= xMax) ?? Ticks(xMin, xMax, logX))
            {
                svg.Append(Inv($"<line x1=\"{X(t):0.#}\" x2=\"{X(t):0.#}\" y1=\"{top:0.#}\" y2=\"{top + panelHeight:0.#}\" stroke=\"#eee\"/>"));
                if (i == panels.Count - 1)
                {
                    svg.Append(Inv($"<text x=\"{X(t):0.#}\" y=\"{top + panelHeight + 18:0.#}\" text-anchor=\"middle\">{Escape(xFormat?.Invoke(t) ?? Number(t))}</text>"));
                }

                svg.Append('\n');
            }

            svg.Append(Inv($"<text transform=\"translate(18 {top + (panelHeight / 2.0):0.#}) rotate(-90)\" text-anchor=\"middle\">{Escape(panel.YLabel)}</text>\n"));
            var legendY = top + 16;
            foreach (var series in panel.Series)
            {
                var points = Downsample(series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0) && (!panel.LogY || p.Y > 0)).ToArray());
                if (points.Length == 0)
                {
                    continue;
                }

                var coordinates = string.Join(" ", points.Select(p => Inv($"{X(p.X):0.##},{Y(p.Y):0.##}")));
                svg.Append(Inv($"<polyline class=\"series\" data-name=\"{Escape(series.Name)}\" fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"{series.StrokeWidth}\" points=\"{coordinates}\"/>\n"));
                if (series.Markers)
                {
                    foreach (var p in points)
                    {
                        svg.Append(Inv($"<circle cx=\"{X(p.X):0.##}\" cy=\"{Y(p.Y):0.##}\" r=\"3.5\" fill=\"{series.Color}\"/>"));
                    }

                    svg.Append('\n');
                }

                var legendX = Left + plotWidth - 190;
                svg.Append(Inv($"<line x1=\"{legendX:0.#}\" x2=\"{legendX + 22:0.#}\" y1=\"{legendY - 4:0.#}\" y2=\"{legendY - 4:0.#}\" stroke=\"{series.Color}\" stroke-width=\"3\"/>"));
                svg.Append(Inv($"<text x=\"{legendX + 28:0.#}\" y=\"{legendY:0.#}\">{Escape(series.Name)}</text>\n"));
                legendY += 16;
            }

            svg.Append("</g>\n");
        }

        svg.Append(Inv($"<text x=\"{Left + (plotWidth / 2):0.#}\" y=\"{height - 12:0.#}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Round tick values: 1, 2, 5 × 10ⁿ steps on a linear axis, powers of ten on a log one.</summary>
    internal static IReadOnlyList<double> Ticks(double min, double max, bool log)
    {
        var ticks = new List<double>();
        if (log)
        {
            for (var e = Math.Floor(Math.Log10(min)); e <= Math.Ceiling(Math.Log10(max)); e++)
            {
                var t = Math.Pow(10, e);
                if (t >= min * 0.999 && t <= max * 1.001)
                {
                    ticks.Add(t);
                }
            }

            return ticks;
        }

        var raw = (max - min) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (var t = Math.Ceiling(min / step) * step; t <= max + (step * 1e-9); t += step)
        {
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        }

        return ticks;
    }

    private static (double Min, double Max) Range(double[] values, bool log, double? fixedMin, double? fixedMax)
    {
        var min = fixedMin ?? (values.Length > 0 ? values.Min() : 0);
        var max = fixedMax ?? (values.Length > 0 ? values.Max() : 1);
        if (log)
        {
            min = Math.Max(min, 1e-12);
            max = Math.Max(max, min * 10);
            return (Math.Pow(10, Math.Floor(Math.Log10(min))), Math.Pow(10, Math.Ceiling(Math.Log10(max))));
        }

        if (max <= min)
        {
            max = min + 1;
        }

        var pad = fixedMin is null && fixedMax is null ? (max - min) * 0.05 : 0;
        return (fixedMin ?? (min >= 0 && min - pad < 0 ? 0 : min - pad), fixedMax ?? max + pad);
    }

    private static double Scale(double v, bool log) => log ? Math.Log10(v) : v;

    private static (double X, double Y)[] Downsample((double X, double Y)[] points)
    {
        if (points.Length <= MaxPoints)
        {
            return points;
        }

        var per = (int)Math.Ceiling(points.Length / (double)MaxPoints);
        return points.Chunk(per).Select(c => (c.Average(p => p.X), c.Average(p => p.Y))).ToArray();
    }

    private static string Number(double v) => Math.Abs(v) is >= 1e5 or (< 1e-3 and > 0) ? v.ToString("0.##E+0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
