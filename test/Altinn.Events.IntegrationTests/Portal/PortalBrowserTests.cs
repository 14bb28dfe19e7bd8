using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Altinn.Events.IntegrationTests.Portal;

/// <summary>
/// The portal in a real browser against the real API and stage host: a subscriber signs in, subscribes a loopback receiver,
/// sees it validated, sends a test event and sees it delivered, redelivers, and deletes; and sees a field's message when the
/// endpoint is not valid. Set UPDATE_SCREENSHOTS=1 to write the README's screenshot (docs/portal.png).
/// </summary>
public sealed partial class PortalBrowserTests(PortalFixture portal) : IClassFixture<PortalFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync() => (_playwright, _browser) = await Browser.LaunchAsync();

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [Fact]
    public async Task Subscriber_SignsIn_Subscribes_TestsDelivery_Redelivers_AndDeletes()
    {
        var page = await NewPageAsync(1200, 1000);
        var endpoint = portal.Receiver.Endpoint(_ => Outbound.Reply.Ok, host: "127.0.0.1");
        await SignInAsync(page, "org-ttd");
        await Assertions.Expect(page.GetByText("Signed in as /org/ttd").First).ToBeVisibleAsync();

        // Create with filters; the secret is shown once.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Endpoint URL (required)" }).FillAsync(endpoint);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Resource filter", Exact = true }).FillAsync(EventBuilder.TestResource);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Subject filter", Exact = true }).FillAsync("/party/50001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create subscription" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Secret" })).ToHaveValueAsync(new Regex("^whsec_"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        // The endpoint answers the validation event: the list shows it validated, without a reload.
        var row = page.Locator("#subscriptions tbody tr").Filter(new() { HasText = endpoint });
        await Assertions.Expect(row.Locator(".badge", new() { HasTextString = "validated" })).ToBeVisibleAsync(new() { Timeout = Ms(Patience) });
        await Assertions.Expect(row.GetByText("healthy")).ToBeVisibleAsync();

        // A test event goes through the outbound stage to the receiver and shows in the log as delivered.
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test event" }).ClickAsync();
        var status = page.Locator("#status");
        await Assertions.Expect(status).ToContainTextAsync("Test event");
        var testEventId = TestEventId().Match(await status.InnerTextAsync()).Groups[1].Value;
        var testRow = page.Locator("#log tbody tr").Filter(new() { HasText = testEventId });
        await Assertions.Expect(testRow.Locator(".badge", new() { HasTextString = "delivered" })).ToBeVisibleAsync(new() { Timeout = Ms(Patience) });
        await Assertions.Expect(testRow).ToContainTextAsync("200");
        Assert.Contains(portal.Receiver.To(endpoint), p => p.Body.Contains(testEventId, StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#chart svg rect[data-outcome=delivered]")).Not.ToHaveCountAsync(0);

        // A real event, published by ttd, reaches the subscription through the whole pipeline.
        using var ttd = portal.Client(TestTokens.ForOrg("ttd"));
        var published = EventBuilder.Generic().With("subject", "/party/50001");
        var publish = await ttd.PostAsync("/events/api/v1/events", new StringContent(published.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        var eventRows = page.Locator("#log tbody tr").Filter(new() { HasText = published.Id });
        await RefreshLogUntilAsync(page, eventRows, 1);

        // Outcome filter: no retries to show, then all again.
        await page.GetByLabel("Outcome").SelectOptionAsync("retry");
        await Assertions.Expect(page.GetByText("No push attempts to show.")).ToBeVisibleAsync();
        await page.GetByLabel("Outcome").SelectOptionAsync("");
        await Assertions.Expect(eventRows).ToHaveCountAsync(1);

        // Pause: the list says so. Redeliver from a time before the event while paused: the delivery waits.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("Subscription paused");
        await Assertions.Expect(row.Locator(".badge", new() { HasTextString = "paused" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Radio, new() { Name = "from a time" }).CheckAsync();
        // Whole minutes: Chromium drops ":00" seconds from a datetime-local value, and Playwright calls a value
        // that reads back differently "malformed" (one run in sixty failed on it).
        await page.GetByLabel("From (your local time)").FillAsync(DateTime.Now.AddMinutes(-10).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeliver", Exact = true }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("1 event queued again");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(1, portal.Receiver.To(endpoint).Count(p => p.Body.Contains(published.Id, StringComparison.Ordinal)));

        // Resume: the waiting redelivery is pushed and logged a second time.
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("Subscription resumed");
        await Assertions.Expect(row.Locator(".badge", new() { HasTextString = "validated" })).ToBeVisibleAsync();
        await RefreshLogUntilAsync(page, eventRows, 2);
        Assert.Equal(2, portal.Receiver.To(endpoint).Count(p => p.Body.Contains(published.Id, StringComparison.Ordinal)));

        // Edit the type filter (a merge patch of what changed).
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await page.GetByLabel(new Regex("^Type filter \\(comma separated; a trailing .\\* matches a prefix; empty")).FillAsync("order.created, app.instance.*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("Saved.");
        await Assertions.Expect(page.Locator("#detail-facts")).ToContainTextAsync("app.instance.*, order.created"); // stored sorted

        // Rotate the secret: shown once, with a copy button.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Secret" })).ToHaveValueAsync(new Regex("^whsec_"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await ScreenshotAsync(page, "portal.png");

        // Readable on a narrow screen: nothing wider than the viewport.
        await page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync(page, "portal-narrow.png");
        var wide = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap')).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8).join(', ')");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), $"the page scrolls sideways at 390 px: {wide}");

        // Delete (after the confirmation).
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("Subscription deleted.");
        await Assertions.Expect(page.GetByText("You have no subscriptions yet.")).ToBeVisibleAsync();
        using var check = portal.Client(TestTokens.ForOrg("ttd"));
        Assert.Equal(0, (await check.GetFromJsonAsync<System.Text.Json.JsonElement>("/events/api/v1/subscriptions")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task InvalidEndpoint_ShowsTheFieldsMessageNextToIt_InWords()
    {
        var page = await NewPageAsync(1000, 900);
        await SignInAsync(page, "user-1337");
        var endPoint = page.GetByRole(AriaRole.Textbox, new() { Name = "Endpoint URL (required)" });

        await endPoint.FillAsync("ftp://example.com/hook");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Resource filter", Exact = true }).FillAsync(EventBuilder.TestResource);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create subscription" }).ClickAsync();

        var message = page.Locator("#endPoint-error");
        await Assertions.Expect(message).ToBeVisibleAsync();
        await Assertions.Expect(message).ToContainTextAsync("endPoint");
        await Assertions.Expect(endPoint).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(endPoint).ToBeFocusedAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("The subscription is not valid.");
        Assert.DoesNotContain("{", await alert.InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("{", await message.InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppOwner_SeesItsAppsAnalytics_ChartFunnelAndDurations_OthersAreRefusedInWords()
    {
        // Two instances of ttd/apps-test reach Task_1; the second completes. Its completion is the last event stored, and an
        // answer is one snapshot of the roll-ups, which count in sequence order: showing it completed means all are counted.
        using var app = portal.Client(TestTokens.ForApp("ttd", "apps-test"));
        for (var i = 0; i < 2; i++)
        {
            var source = $"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{Guid.NewGuid()}";
            var types = i == 1
                ? new[] { "app.instance.created", "app.instance.process.movedTo.Task_1", "app.instance.process.completed" }
                : ["app.instance.created", "app.instance.process.movedTo.Task_1"];
            foreach (var type in types)
            {
                var body = EventBuilder.App().With("source", source).With("type", type).Json();
                var published = await app.PostAsync("/events/api/v1/app", new StringContent(body, Encoding.UTF8, "application/cloudevents+json"));
                Assert.Equal(HttpStatusCode.Created, published.StatusCode);
            }
        }

        var page = await NewPageAsync(1200, 1400);
        await SignInAsync(page, "org-ttd");
        var target = page.GetByRole(AriaRole.Textbox, new() { Name = "App (org/app) or resource" });

        // Not an app or a resource: the field says what to write, and nothing is asked of the API.
        await target.FillAsync("apps-test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show analytics" }).ClickAsync();
        await Assertions.Expect(page.Locator("#analytics-target-error")).ToContainTextAsync("org/app");
        await Assertions.Expect(target).ToHaveAttributeAsync("aria-invalid", "true");

        await target.FillAsync("ttd/apps-test");
        await page.GetByLabel("Period").SelectOptionAsync("1:hour");
        var funnelRow = page.Locator("#funnel tbody tr").Filter(new() { HasText = "Task_1" });
        var until = DateTime.UtcNow + Patience;
        do
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Show analytics" }).ClickAsync();
            await Assertions.Expect(page.Locator("#analytics-result")).ToBeVisibleAsync();
            await Task.Delay(300);
        }
        while (!(await page.Locator("#analytics-facts").InnerTextAsync()).Contains("Instances completed\n1", StringComparison.Ordinal) && DateTime.UtcNow < until);

        var facts = page.Locator("#analytics-facts");
        await Assertions.Expect(facts).ToContainTextAsync("urn:altinn:resource:app_ttd_apps-test");
        await Assertions.Expect(facts).ToContainTextAsync(new Regex(@"Instances created\s*2"));
        await Assertions.Expect(facts).ToContainTextAsync(new Regex(@"Instances completed\s*1"));
        await Assertions.Expect(funnelRow).ToContainTextAsync("2");
        await Assertions.Expect(page.Locator("#durations tbody tr").Filter(new() { HasText = "Task_1" })).ToHaveCountAsync(1);

        // The chart stacks the events of each type in their hour; its legend counts them.
        await Assertions.Expect(page.Locator("#analytics-chart svg rect[data-type='app.instance.created']")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#analytics-chart .legend")).ToContainTextAsync("app.instance.created: 2");
        await Assertions.Expect(page.Locator("#analytics-chart .legend")).ToContainTextAsync("app.instance.process.completed: 1");
        await Assertions.Expect(page.Locator("#analytics-chart svg")).ToHaveAttributeAsync("aria-label", new Regex("^5 events per hour"));
        await page.Locator("#analytics").ScrollIntoViewIfNeededAsync();
        await ScreenshotAsync(page, "portal-analytics.png");

        // A person is not the app's owner: the API's reason is shown, with no figures.
        var user = await NewPageAsync(1000, 900);
        await SignInAsync(user, "user-1337");
        await user.GetByRole(AriaRole.Textbox, new() { Name = "App (org/app) or resource" }).FillAsync("ttd/apps-test");
        await user.GetByRole(AriaRole.Button, new() { Name = "Show analytics" }).ClickAsync();
        var alert = user.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToBeVisibleAsync();
        await Assertions.Expect(alert).ToContainTextAsync("/app/party");
        await Assertions.Expect(user.Locator("#analytics-result")).ToBeHiddenAsync();
    }

    private async Task<IPage> NewPageAsync(int width, int height)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = portal.BaseAddress.ToString() });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    private static async Task SignInAsync(IPage page, string identity)
    {
        await page.GotoAsync("/portal/");
        await page.GetByLabel("Identity").SelectOptionAsync(identity);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My subscriptions" })).ToBeVisibleAsync();
    }

    // The portal refreshes the log by itself for a while after an action of its own; a push caused elsewhere needs the button.
    private static async Task RefreshLogUntilAsync(IPage page, ILocator rows, int count)
    {
        var until = DateTime.UtcNow + Patience;
        while (await rows.CountAsync() < count && DateTime.UtcNow < until)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh log" }).ClickAsync();
            await Task.Delay(500);
        }

        await Assertions.Expect(rows).ToHaveCountAsync(count);
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var bytes = await page.ScreenshotAsync(new() { FullPage = true });
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, name), bytes);
        if (Environment.GetEnvironmentVariable("UPDATE_SCREENSHOTS") == "1" && name == "portal.png")
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Altinn.Events.sln")))
                {
                    await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "docs", name), bytes);
                    break;
                }
            }
        }
    }

    private static float Ms(TimeSpan t) => (float)t.TotalMilliseconds;

    [GeneratedRegex("Test event ([0-9a-f-]{36})")]
    private static partial Regex TestEventId();
}
