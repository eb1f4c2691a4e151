using System.Globalization;

namespace Distributed.Core.Models.Description;

/// <summary>One layer as written: its kind, its arguments in the kind's order, and where it starts.</summary>
public sealed record LayerSpec(LayerKind Kind, double[] Values, TextPosition Position)
{
    public override string ToString() => Kind.Format(Values);
}

/// <summary>
/// Reads a description: layers separated by white space (or new lines), each a name with an optional argument list,
/// <c>conv(32, 3, pad=1)</c>; arguments by position or by name; <c>#</c> starts a comment to the end of the line.
/// Names are case-insensitive. The first problem found ends the reading with its position.
/// </summary>
internal sealed class DescriptionParser(string text, string source)
{
    private int _at;
    private int _line = 1;
    private int _lineStart;

    public List<LayerSpec> Parse()
    {
        var layers = new List<LayerSpec>();
        while (true)
        {
            SkipBlanks();
            if (_at >= text.Length)
            {
                break;
            }

            layers.Add(ReadLayer());
            if (_at < text.Length && !char.IsWhiteSpace(text[_at]) && text[_at] != '#')
            {
                throw Error($"expected a space before the next layer, found '{text[_at]}'");
            }
        }

        if (layers.Count == 0)
        {
            throw new DescriptionException(source, "the network description is empty");
        }

        return layers;
    }

    private LayerSpec ReadLayer()
    {
        var position = Here();
        var name = ReadName();
        if (name.Length == 0)
        {
            throw Error($"expected a layer name, found '{text[_at]}'");
        }

        var kind = LayerKind.Find(name)
            ?? throw new DescriptionException(position.ToString(), $"unknown layer '{name}' (expected one of: {string.Join(", ", LayerKind.All.Select(k => k.Signature()))})");
        var given = new double?[kind.Arguments.Length];
        if (_at < text.Length && text[_at] == '(')
        {
            ReadArguments(kind, given, position);
        }

        var values = new double[given.Length];
        for (var i = 0; i < given.Length; i++)
        {
            var spec = kind.Arguments[i];
            if (given[i] is null && spec.Required)
            {
                throw new DescriptionException(position.ToString(), $"{kind.Name} needs '{spec.Name}': write {kind.Signature()}");
            }

            values[i] = given[i] ?? kind.DefaultOf(spec, values);
        }

        return new LayerSpec(kind, values, position);
    }

    private void ReadArguments(LayerKind kind, double?[] given, TextPosition layer)
    {
        var open = Here();
        _at++;
        var next = 0;
        SkipSpaces();
        if (Peek() == ')')
        {
            _at++;
            return;
        }

        while (true)
        {
            SkipSpaces();
            var argumentStart = Here();
            var name = ReadName();
            int index;
            if (name.Length > 0)
            {
                SkipSpaces();
                if (Peek() != '=')
                {
                    throw new DescriptionException(argumentStart.ToString(), $"expected a number or name=number in {kind.Name}(...), found '{name}'");
                }

                _at++;
                index = Array.FindIndex(kind.Arguments, a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || (a.Alias?.Equals(name, StringComparison.OrdinalIgnoreCase) ?? false));
                if (index < 0)
                {
                    throw new DescriptionException(argumentStart.ToString(), kind.Arguments.Length == 0
                        ? $"{kind.Name} takes no arguments"
                        : $"{kind.Name} has no argument '{name}' (write {kind.Signature()})");
                }
            }
            else
            {
                index = next;
                if (index >= kind.Arguments.Length)
                {
                    throw new DescriptionException(argumentStart.ToString(), kind.Arguments.Length == 0
                        ? $"{kind.Name} takes no arguments"
                        : $"{kind.Name} takes at most {kind.Arguments.Length} argument{(kind.Arguments.Length == 1 ? "" : "s")}: {kind.Signature()}");
                }
            }

            if (given[index] is not null)
            {
                throw new DescriptionException(argumentStart.ToString(), $"{kind.Name}'s '{kind.Arguments[index].Name}' is given twice");
            }

            SkipSpaces();
            var valueStart = Here();
            var value = ReadNumber();
            if (LayerKind.Check(kind.Arguments[index], value) is { } problem)
            {
                throw new DescriptionException(valueStart.ToString(), $"{kind.Name}: {problem}");
            }

            given[index] = value;
            next = index + 1;
            SkipSpaces();
            switch (Peek())
            {
                case ',':
                    _at++;
                    continue;
                case ')':
                    _at++;
                    return;
                case null:
                    throw new DescriptionException(open.ToString(), $"'(' of {kind.Name} is never closed");
                default:
                    throw Error($"expected ',' or ')' in {kind.Name}(...), found '{text[_at]}'");
            }
        }
    }

    private double ReadNumber()
    {
        var start = _at;
        while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '.' or '-' or '+' or 'e' or 'E'))
        {
            _at++;
        }

        var token = text[start.._at];
        if (token.Length == 0)
        {
            throw Error(_at < text.Length ? $"expected a number, found '{text[_at]}'" : "expected a number, found the end");
        }

        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            _at = start;
            throw Error($"'{token}' is not a number");
        }

        return value;
    }

    private string ReadName()
    {
        var start = _at;
        if (_at < text.Length && (char.IsAsciiLetter(text[_at]) || text[_at] == '_'))
        {
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
            {
                _at++;
            }
        }

        return text[start.._at];
    }

    /// <summary>Spaces, new lines and comments between layers.</summary>
    private void SkipBlanks()
    {
        while (_at < text.Length)
        {
            var c = text[_at];
            if (c == '#')
            {
                while (_at < text.Length && text[_at] != '\n')
                {
                    _at++;
                }
            }
            else if (c == '\n')
            {
                _at++;
                _line++;
                _lineStart = _at;
            }
            else if (char.IsWhiteSpace(c))
            {
                _at++;
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Spaces inside an argument list, which stays on one line.</summary>
    private void SkipSpaces()
    {
        while (_at < text.Length && text[_at] is ' ' or '\t')
        {
            _at++;
        }
    }

    private char? Peek() => _at < text.Length ? text[_at] : null;

    private TextPosition Here() => new(source, _line, _at - _lineStart + 1, !text.Contains('\n'));

    private DescriptionException Error(string problem) => new(Here().ToString(), problem);
}
