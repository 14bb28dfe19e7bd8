namespace Altinn.Events.Core.Input;

/// <summary>
/// The <c>source</c> pattern of <c>GET /app/party</c>, a SQL LIKE pattern: <c>%</c> matches any run of characters,
/// <c>_</c> one character, and <c>\</c> makes the next <c>%</c>, <c>_</c> or <c>\</c> literal. PostgreSQL refuses a
/// pattern that ends in the escape character only when it compares a row, so an unchecked <c>source=\</c> answered 200
/// on an empty store and 500 otherwise; it is checked here, before any row is read.
/// </summary>
public static class SourcePattern
{
    /// <summary>What is wrong with the pattern, or null when it is a valid one.</summary>
    public static string? Problem(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '\\')
            {
                continue;
            }

            if (i + 1 >= pattern.Length || pattern[i + 1] is not ('%' or '_' or '\\'))
            {
                return "In 'source', '\\' escapes the next '%', '_' or '\\' (write '\\\\' for a backslash); it cannot stand alone or before another character.";
            }

            i++;
        }

        return null;
    }
}
