using System.Text;
using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Limits;
using Altinn.Events.Api.Links;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Input;
using Altinn.Events.Core.Register;
using Altinn.Events.Persistence.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Queries;

internal static class QueryEndpoints
{
    public const string AlternativeSubjectHeader = "Altinn-AlternativeSubject";

    private const string NextLinks = "The 'next' header holds the URL of the following page: the same query with an opaque 'cursor' (a position in the store, never an event id) in place of 'after'. A page may be empty and still have one (the scan budget ended it): follow it at once. No 'next': the page is empty and nothing more is stored; poll the same URL later. 'after' ids may repeat across publishers; the earliest such event the caller may see counts, so events may repeat but none is skipped.";

    public static IEndpointRouteBuilder MapQueries(this IEndpointRouteBuilder api)
    {
        api.MapGet("/events", GetEventsAsync)
            .RequireAuthorization(AuthorizationPolicies.Subscribe)
            .WithName("GetEvents")
            .WithTags("Query")
            .WithSummary("Events of a resource, from a cursor")
            .WithDescription("Parameters: resource (required), after (an event id) | cursor (from a 'next' link) | from, to, subject, type (repeatable), size (default 50, at most 1000); header Altinn-AlternativeSubject (not with subject). Only events the caller may 'subscribe' to are returned: without subject, those of every party it may subscribe to for the resource. " + NextLinks)
            .ProducesProblem(StatusCodes.Status403Forbidden) // the Subscribe policy
            .AnswersWithEventPages();

        api.MapGet("/app/{org}/{app}", GetAppEventsAsync)
            .RequireAuthorization(AuthorizationPolicies.AnyCaller)
            .WithName("GetAppEvents")
            .WithTags("Query")
            .WithSummary("Events of one app, for its application owner")
            .WithDescription("For the org that owns the app. Parameters: after (an event id) | cursor (from a 'next' link) | from, to, party | unit, type (repeatable), size; header person (not with party). " + NextLinks)
            .AnswersWithEventPages();

        api.MapGet("/app/party", GetPartyEventsAsync)
            .RequireAuthorization(AuthorizationPolicies.AnyCaller)
            .WithName("GetPartyEvents")
            .WithTags("Query")
            .WithSummary("App events about one party, or every party, for those who may read them")
            .WithDescription("Parameters: after (an event id) | cursor (from a 'next' link) | from, to, party | unit | header person (at most one of them; none: every party the caller holds rights for), type (repeatable), source (% and _ are wildcards), size. Only events the caller may 'read' are returned. " + NextLinks)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .AnswersWithEventPages();
        return api;
    }

    /// <summary>
    /// What every query answers besides its handler's results (a page of events, 400 naming the parameter): 401, and the
    /// query rate limit.
    /// </summary>
    private static RouteHandlerBuilder AnswersWithEventPages(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .WithRateLimit(RateLimitPolicies.Queries);

    private static async Task<Results<EventPageResult, ValidationProblem>> GetEventsAsync(HttpContext context, EventQueryService queries, PublicLinks links, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var request = QueryRequest.Parse(context.Request.Query, errors);
        var resource = QueryRequest.Single(context.Request.Query, "resource", errors);
        if (resource is null && !errors.ContainsKey("resource"))
        {
            errors["resource"] = ["resource is required: the urn:altinn:resource:{id} whose events you want."];
        }
        else if (resource is not null && !resource.StartsWith(AppResources.ResourcePrefix, StringComparison.Ordinal))
        {
            errors["resource"] = ["resource must be a URN of the form urn:altinn:resource:{id}."];
        }

        var subject = QueryRequest.Single(context.Request.Query, "subject", errors);
        var alternativeSubject = context.Request.Headers[AlternativeSubjectHeader].FirstOrDefault();
        if (!string.IsNullOrEmpty(alternativeSubject))
        {
            if (subject is not null)
            {
                errors[AlternativeSubjectHeader] = [$"Give subject or the {AlternativeSubjectHeader} header, not both."];
            }
            else if (!System.Text.RegularExpressions.Regex.IsMatch(alternativeSubject, @"^(/person/\d{11}|/organisation/\d{9})$"))
            {
                errors[AlternativeSubjectHeader] = ["The alternative subject must be /person/{11 digits} or /organisation/{9 digits}."];
            }
        }

        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var caller = context.RequireCaller();
        PartyScope? parties = null;
        if (subject is null && string.IsNullOrEmpty(alternativeSubject))
        {
            // Without a subject, a user, organisation or system user without a right on the resource as a whole gets the
            // events of every party it holds rights for (the reverse index), as /app/party without a party does.
            parties = await queries.PartiesOfAsync(caller, Actions.Subscribe, resource!, cancellationToken);
            if (parties is { IsEmpty: true })
            {
                return Empty();
            }
        }

        var filter = new EventFilter
        {
            Resource = resource,
            PartyIn = parties?.PartyIn,
            Holder = parties?.Holder,
            Subject = subject,
            AlternativeSubject = string.IsNullOrEmpty(alternativeSubject) ? null : alternativeSubject,
            Types = request.Types,
            From = request.From,
            To = request.To,
        };
        var page = await queries.QueryAsync(caller, Actions.Subscribe, filter, new EventFilter { Resource = resource, PartyIn = parties?.PartyIn, Holder = parties?.Holder }, request, cancellationToken);
        return Page(context, page, links);
    }

    private static async Task<Results<EventPageResult, ValidationProblem, ProblemResult<Forbidden403>>> GetAppEventsAsync(string org, string app, HttpContext context, EventQueryService queries, IPartyRegister register, PublicLinks links, CancellationToken cancellationToken)
    {
        var caller = context.RequireCaller();
        if (AppOwner.Refusal(caller, org, app, "others use /app/party") is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var request = QueryRequest.Parse(context.Request.Query, errors);
        var party = QueryRequest.Party(context.Request.Query, errors);
        var unit = QueryRequest.Unit(context.Request.Query, errors);
        var person = QueryRequest.Person(context.Request.Headers, errors);
        RejectCombinations(party, unit, person, errors);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var resolved = await ResolvePartyAsync(party, unit, person, register, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        if (resolved is { Found: false })
        {
            return Empty();
        }

        var resource = AppResources.For(org, app);
        var filter = new EventFilter { Resource = resource, PartyId = resolved?.PartyId, Types = request.Types, From = request.From, To = request.To };
        var page = await queries.QueryAsync(caller, Actions.Read, filter, new EventFilter { Resource = resource }, request, cancellationToken);
        return Page(context, page, links);
    }

    private static async Task<Results<EventPageResult, ValidationProblem>> GetPartyEventsAsync(HttpContext context, EventQueryService queries, IPartyRegister register, PublicLinks links, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var request = QueryRequest.Parse(context.Request.Query, errors);
        var party = QueryRequest.Party(context.Request.Query, errors);
        var unit = QueryRequest.Unit(context.Request.Query, errors);
        var person = QueryRequest.Person(context.Request.Headers, errors);
        var source = QueryRequest.Single(context.Request.Query, "source", errors);
        if (source is not null && SourcePattern.Problem(source) is { } sourceProblem)
        {
            errors["source"] = [sourceProblem];
        }

        RejectCombinations(party, unit, person, errors);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var caller = context.RequireCaller();
        if (party is null && unit is null && person is null)
        {
            // Every party the caller holds rights for (the reverse index); the decision point still decides each event.
            var parties = await queries.PartiesOfAsync(caller.Consumer, cancellationToken);
            if (parties.IsEmpty)
            {
                return Empty();
            }

            var all = parties.Narrow(new EventFilter { AppEventsOnly = true, SourcePattern = source, Types = request.Types, From = request.From, To = request.To });
            return Page(context, await queries.QueryAsync(caller, Actions.Read, all, parties.Narrow(new EventFilter()), request, cancellationToken), links);
        }

        var resolved = await ResolvePartyAsync(party, unit, person, register, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        if (resolved is not { Found: true, PartyId: { } partyId })
        {
            return Empty();
        }

        var filter = new EventFilter { PartyId = partyId, AppEventsOnly = true, SourcePattern = source, Types = request.Types, From = request.From, To = request.To };
        var page = await queries.QueryAsync(caller, Actions.Read, filter, new EventFilter { PartyId = partyId }, request, cancellationToken);
        return Page(context, page, links);
    }

    private static void RejectCombinations(int? party, string? unit, string? person, Dictionary<string, string[]> errors)
    {
        if (party is not null && (unit is not null || person is not null))
        {
            errors["party"] = ["party cannot be combined with unit or the person header."];
        }
        else if (unit is not null && person is not null)
        {
            errors["unit"] = ["unit cannot be combined with the person header."];
        }
    }

    /// <summary>The party the query is about: given as a party id, or found in the register by organisation or person number.</summary>
    private static async Task<(bool Found, int? PartyId)?> ResolvePartyAsync(int? party, string? unit, string? person, IPartyRegister register, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (party is not null)
        {
            return (true, party);
        }

        if (unit is not null)
        {
            var found = await register.FindByOrganisationNumbersAsync([unit], cancellationToken);
            if (!found.TryGetValue(unit, out var organisation))
            {
                errors["unit"] = [$"No organisation {unit} is registered."];
                return null;
            }

            return (true, organisation.PartyId);
        }

        if (person is not null)
        {
            // An unknown person gives an empty result rather than an error, so the API does not tell who is registered.
            var found = await register.FindByPersonNumbersAsync([person], cancellationToken);
            return found.TryGetValue(person, out var p) ? (true, p.PartyId) : (false, null);
        }

        return null;
    }

    private static EventPageResult Page(HttpContext context, QueryPage page, PublicLinks links)
    {
        if (page.Next is { } next)
        {
            // The same query from the next position: the cursor replaces after (an event id) for good.
            context.Response.Headers["next"] = links.ForThisRequest(context.Request, new Dictionary<string, string> { ["cursor"] = QueryCursor.Encode(next) }, "after");
        }

        var body = new StringBuilder("[");
        for (var i = 0; i < page.Events.Count; i++)
        {
            if (i > 0)
            {
                body.Append(',');
            }

            body.Append(page.Events[i].CloudEvent);
        }

        return new EventPageResult(body.Append(']').ToString());
    }

    private static EventPageResult Empty() => new("[]");

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) => Problems.Invalid(errors, "The query is not valid.");
}
