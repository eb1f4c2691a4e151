namespace Distributed.Core.FullBatch;

/// <summary>A point on the search line: step t, f, ∇f and the directional derivative ∇f·d there.</summary>
internal sealed record LinePoint(double T, ObjectiveValue Value, double[] Gradient, double Slope)
{
    public double F => Value.Loss;
}

/// <summary>Where a line search stopped, and how many evaluations it spent.</summary>
internal sealed record LineSearchResult(LinePoint Point, int Evaluations);

/// <summary>
/// A line search for a step t along a descent direction d that satisfies the strong Wolfe conditions:
/// f(x + t·d) ≤ f(x) + c1·t·∇f·d (enough decrease) and |∇f(x + t·d)·d| ≤ c2·|∇f(x)·d| (the slope has flattened).
/// Nocedal and Wright's Algorithms 3.5 (bracket) and 3.6 (zoom), with each new trial the minimiser of the cubic
/// through the two points at hand, as PyTorch's <c>_strong_wolfe</c> does. On a quadratic that cubic is exact, so a
/// search with a small c2 finds the exact minimiser along the line.
/// </summary>
internal static class StrongWolfe
{
    public static async Task<LineSearchResult> SearchAsync(
        IObjective objective, double[] x, double[] d, LinePoint start, double t, double c1, double c2,
        int maxEvaluations, double changeTolerance, CancellationToken cancel)
    {
        var dNorm = Vectors.MaxAbs(d);
        var evaluations = 0;
        var trial = new double[x.Length];

        async Task<LinePoint> At(double step)
        {
            Vectors.Step(trial, x, step, d);
            var g = new double[x.Length];
            var value = await objective.EvaluateAsync(trial, g, cancel).ConfigureAwait(false);
            evaluations++;
            return new LinePoint(step, value, g, Vectors.Dot(g, d));
        }

        bool Armijo(LinePoint p) => p.F <= start.F + c1 * p.T * start.Slope;
        bool Flat(LinePoint p) => Math.Abs(p.Slope) <= -c2 * start.Slope;

        // Bracket: grow the step until it overshoots (not enough decrease, or the slope turns up) or is acceptable.
        var previous = start;
        var current = await At(t).ConfigureAwait(false);
        LinePoint low, high;
        while (true)
        {
            if (!Armijo(current) || (evaluations > 1 && current.F >= previous.F))
            {
                (low, high) = (previous, current);
                break;
            }

            if (Flat(current))
            {
                return new LineSearchResult(current, evaluations);
            }

            if (current.Slope >= 0)
            {
                (low, high) = (current, previous);
                break;
            }

            if (evaluations >= maxEvaluations)
            {
                return new LineSearchResult(current, evaluations);
            }

            // Extrapolate: at least a little past the current step, at most ten times it.
            var next = Cubic.Minimizer(previous, current, current.T + 0.01 * (current.T - previous.T), current.T * 10);
            previous = current;
            current = await At(next).ConfigureAwait(false);
        }

        // Zoom: shrink [low, high] (low the better end, f-wise) until a point in it is acceptable.
        var insufficientProgress = false;
        while (evaluations < maxEvaluations)
        {
            if (Math.Abs(high.T - low.T) * dNorm < changeTolerance)
            {
                break;
            }

            var lo = Math.Min(low.T, high.T);
            var hi = Math.Max(low.T, high.T);
            var next = Cubic.Minimizer(low, high, lo, hi);

            // A trial hugging an end of the bracket shrinks it too slowly: after two such in a row, move it inside.
            var margin = 0.1 * (hi - lo);
            if (Math.Min(hi - next, next - lo) < margin)
            {
                if (insufficientProgress || next >= hi || next <= lo)
                {
                    next = Math.Abs(next - hi) < Math.Abs(next - lo) ? hi - margin : lo + margin;
                    insufficientProgress = false;
                }
                else
                {
                    insufficientProgress = true;
                }
            }
            else
            {
                insufficientProgress = false;
            }

            var point = await At(next).ConfigureAwait(false);
            if (!Armijo(point) || point.F >= low.F)
            {
                high = point;
            }
            else
            {
                if (Flat(point))
                {
                    return new LineSearchResult(point, evaluations);
                }

                if (point.Slope * (high.T - low.T) >= 0)
                {
                    high = low;
                }

                low = point;
            }
        }

        return new LineSearchResult(low, evaluations);
    }
}

/// <summary>The minimiser of the cubic through two points with their slopes, kept within bounds.</summary>
internal static class Cubic
{
    public static double Minimizer(LinePoint a, LinePoint b, double lowerBound, double upperBound)
    {
        // Nocedal and Wright (3.59).
        var d1 = a.Slope + b.Slope - 3 * (a.F - b.F) / (a.T - b.T);
        var d2Squared = d1 * d1 - a.Slope * b.Slope;
        if (d2Squared >= 0)
        {
            var d2 = Math.Sqrt(d2Squared);
            var t = a.T <= b.T
                ? b.T - (b.T - a.T) * ((b.Slope + d2 - d1) / (b.Slope - a.Slope + 2 * d2))
                : a.T - (a.T - b.T) * ((a.Slope + d2 - d1) / (a.Slope - b.Slope + 2 * d2));
            if (double.IsFinite(t))
            {
                return Math.Clamp(t, lowerBound, upperBound);
            }
        }

        return (lowerBound + upperBound) / 2;
    }
}
