namespace Altinn.Events.Api.Errors;

/// <summary>
/// The one rule for text in query strings: no control characters (NUL included, which PostgreSQL cannot store and answered
/// 500 for) and no unpaired surrogates (which cannot be encoded as UTF-8). A request carrying one is a 400
/// ValidationProblemDetails naming the parameter, before any endpoint, database or queue sees it.
/// </summary>
internal sealed class TextInputMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Query)
        {
            if (!IsCleanText(name) || values.Any(v => v is not null && !IsCleanText(v)))
            {
                var field = IsCleanText(name) ? name : "query";
                await Results.ValidationProblem(
                    new Dictionary<string, string[]> { [field] = [$"'{field}' holds a control character or an unpaired surrogate; send printable text only."] },
                    title: "The query string holds characters that are not allowed").ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }

    /// <summary>True when <paramref name="text"/> has no C0/C1 control character and no unpaired UTF-16 surrogate.</summary>
    public static bool IsCleanText(string text)
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
}

internal static class TextInputExtensions
{
    /// <summary>Rejects query strings with control characters or unpaired surrogates (<see cref="TextInputMiddleware"/>).</summary>
    public static IApplicationBuilder UseTextInputRules(this IApplicationBuilder app) => app.UseMiddleware<TextInputMiddleware>();
}
