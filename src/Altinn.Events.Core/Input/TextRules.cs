using System.Text;

namespace Altinn.Events.Core.Input;

/// <summary>
/// The one rule for text that comes in (JSON attribute values, subscription fields, query parameters, headers): no
/// control characters (C0, DEL, C1; PostgreSQL cannot store NUL at all), no unpaired UTF-16 surrogates (they cannot be
/// encoded as UTF-8), and at most <see cref="InputLimits.MaxTextBytes"/> bytes of UTF-8 unless said otherwise.
/// </summary>
public static class TextRules
{
    /// <summary>True when <paramref name="text"/> has no control character and no unpaired surrogate.</summary>
    public static bool IsCleanText(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// What is wrong with <paramref name="value"/> as the text of <paramref name="field"/>, or null when nothing is:
    /// a control character or unpaired surrogate, or more than <paramref name="maxBytes"/> bytes of UTF-8.
    /// </summary>
    public static string? Problem(string value, string field, int maxBytes = InputLimits.MaxTextBytes)
    {
        if (!IsCleanText(value))
        {
            return $"'{field}' holds a control character or an unpaired surrogate; send printable text only.";
        }

        // Clean text has no lone surrogates, so this is its exact UTF-8 length; the char count bounds it from below.
        if (value.Length > maxBytes || Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            return $"'{field}' may be at most {maxBytes} bytes of UTF-8.";
        }

        return null;
    }
}
