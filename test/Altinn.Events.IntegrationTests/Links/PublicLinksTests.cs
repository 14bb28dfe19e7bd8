using System.Net;
using System.Text;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Altinn.Events.IntegrationTests.Links;

/// <summary>
/// Gives every request the peer address a real server would see (the in-memory test server has none), ahead of the
/// API's own pipeline: here the ingress at 10.20.0.5.
/// </summary>
public sealed class PeerAddressFilter(IPAddress peer) : IStartupFilter
{
    public static readonly IPAddress Ingress = IPAddress.Parse("10.20.0.5");

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress = peer;
            return nextMiddleware(context);
        });
        next(app);
    };
}

/// <summary>Behind an ingress that forwards X-Forwarded-Proto and X-Forwarded-Host, trusted from any peer (as in Azure Container Apps).</summary>
public sealed class ForwardedHeadersFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PublicUrl:ForwardedHeaders"] = "true";
        settings["PublicUrl:TrustedProxies:0"] = "*";
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<IStartupFilter>(new PeerAddressFilter(PeerAddressFilter.Ingress));
    }
}

/// <summary>Forwarded headers on, trusted only from the network 10.9.0.0/16: the requests come from the ingress at 10.20.0.5.</summary>
public sealed class UntrustedProxyFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PublicUrl:ForwardedHeaders"] = "true";
        settings["PublicUrl:TrustedProxies:0"] = "10.9.0.0/16";
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<IStartupFilter>(new PeerAddressFilter(PeerAddressFilter.Ingress));
    }
}

/// <summary>Forwarded headers trusted from the ingress's own address.</summary>
public sealed class TrustedProxyFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PublicUrl:ForwardedHeaders"] = "true";
        settings["PublicUrl:TrustedProxies:0"] = "10.20.0.0/16";
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<IStartupFilter>(new PeerAddressFilter(PeerAddressFilter.Ingress));
    }
}

/// <summary>The public base URL configured: links use it whatever the request says.</summary>
public sealed class PublicBaseUrlFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PublicUrl:BaseUrl"] = "https://platform.example.no/";
    }
}

internal static class Links
{
    public const string Base = "/events/api/v1";

    /// <summary>A next link (a page with one event) and a Location header (a new subscription), as a client behind the proxy gets them.</summary>
    public static async Task<(string Next, string Location)> LinksAsync(ApiFixture api, params (string Name, string Value)[] headers)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        foreach (var (name, value) in headers)
        {
            client.DefaultRequestHeaders.Add(name, value);
        }

        var type = "test.links." + Guid.NewGuid().ToString("N")[..8];
        var published = await client.PostAsync($"{Base}/events", new StringContent(EventBuilder.Generic().With("type", type).Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        var page = await client.GetAsync($"{Base}/events?resource={EventBuilder.TestResource}&type={type}&after=0");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var created = await client.PostAsync(SubscriptionBuilder.Path, SubscriptionBuilder.Generic().Content());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (page.Headers.GetValues("next").Single(), created.Headers.Location!.ToString());
    }
}

public sealed class ForwardedHeadersTests(ForwardedHeadersFixture api) : IClassFixture<ForwardedHeadersFixture>
{
    [Fact]
    public async Task BehindAProxySendingXForwardedProtoHttps_LinksAreHttps()
    {
        var (next, location) = await Links.LinksAsync(api, ("X-Forwarded-Proto", "https"));

        Assert.StartsWith("https://localhost/events/api/v1/events?", next, StringComparison.Ordinal);
        Assert.Matches("^https://localhost/events/api/v1/subscriptions/[0-9a-f-]{36}$", location);
    }

    [Fact]
    public async Task BehindAProxyForwardingItsHost_LinksNameThePublicHost()
    {
        var (next, location) = await Links.LinksAsync(api, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "events.example.no"));

        Assert.StartsWith("https://events.example.no/events/api/v1/events?", next, StringComparison.Ordinal);
        Assert.StartsWith("https://events.example.no/events/api/v1/subscriptions/", location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutForwardedHeaders_LinksAreTheRequestsOwn()
    {
        var (next, _) = await Links.LinksAsync(api);

        Assert.StartsWith("http://localhost/events/api/v1/events?", next, StringComparison.Ordinal);
    }
}

public sealed class UntrustedProxyTests(UntrustedProxyFixture api) : IClassFixture<UntrustedProxyFixture>
{
    [Fact]
    public async Task ForwardedHeadersFromAPeerThatIsNotTrusted_AreIgnored()
    {
        var (next, location) = await Links.LinksAsync(api, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"));

        Assert.StartsWith("http://localhost/events/api/v1/events?", next, StringComparison.Ordinal);
        Assert.StartsWith("http://localhost/events/api/v1/subscriptions/", location, StringComparison.Ordinal);
    }
}

public sealed class TrustedProxyTests(TrustedProxyFixture api) : IClassFixture<TrustedProxyFixture>
{
    [Fact]
    public async Task ForwardedHeadersFromATrustedNetwork_AreApplied()
    {
        var (next, _) = await Links.LinksAsync(api, ("X-Forwarded-Proto", "https"));

        Assert.StartsWith("https://localhost/events/api/v1/events?", next, StringComparison.Ordinal);
    }
}

public sealed class PublicBaseUrlTests(PublicBaseUrlFixture api) : IClassFixture<PublicBaseUrlFixture>
{
    [Fact]
    public async Task WithAPublicBaseUrl_EveryLinkStartsWithIt_WhateverTheRequestSays()
    {
        var (next, location) = await Links.LinksAsync(api, ("X-Forwarded-Host", "evil.example"));

        Assert.StartsWith("https://platform.example.no/events/api/v1/events?", next, StringComparison.Ordinal);
        Assert.StartsWith("https://platform.example.no/events/api/v1/subscriptions/", location, StringComparison.Ordinal);
    }
}
