using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Api.Identity;

/// <summary>
/// A token handler that remembers the tokens it validated, for at most <see cref="MaxAge"/> and never past their
/// <c>exp</c>. A publisher sends the same token with every request until it expires, and checking its signature was about a
/// quarter of the publish request's running time in the profile (docs/benchmarks.md, issue 20). A token is validated in full (issuer,
/// audience, lifetime, signature against the issuer's keys) the first time it is seen and again after
/// <see cref="MaxAge"/>, so a key the issuer withdraws stops being accepted within that time; only valid results are
/// kept, so a token that failed is checked again every time. Each scheme (issuer) has its own handler, so its own cache.
/// </summary>
internal sealed class CachingJsonWebTokenHandler(TimeProvider time) : JsonWebTokenHandler
{
    /// <summary>The longest a validation is reused.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    /// <summary>Most tokens kept; when full the cache is emptied (tokens are short-lived and re-validated cheaply enough).</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow();
        if (_validated.TryGetValue(token, out var entry))
        {
            if (now < entry.Until)
            {
                // A fresh identity each time: the caller's principal is the request's own.
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = entry.Identity.Clone(),
                    SecurityToken = entry.Token,
                    Issuer = entry.Issuer,
                    TokenType = entry.TokenType,
                };
            }

            _validated.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.ClaimsIdentity is { } identity && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo > DateTime.MinValue)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc));
            var until = now + MaxAge < expires ? now + MaxAge : expires;
            if (_validated.Count >= MaxEntries)
            {
                _validated.Clear();
            }

            _validated[token] = new Entry(identity.Clone(), jwt, result.Issuer, result.TokenType, until);
        }

        return result;
    }

    private sealed record Entry(ClaimsIdentity Identity, SecurityToken Token, string Issuer, string TokenType, DateTimeOffset Until);
}
