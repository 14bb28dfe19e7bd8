using Microsoft.Playwright;

namespace Altinn.Events.IntegrationTests.Portal;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>; scripts/test.sh installs the <c>chromium</c> package when it is missing),
/// driven by Playwright: browsers cannot be downloaded here, so it is launched by path. The flags keep it off the network
/// (background networking, component updates, sync) and, as root, out of the sandbox it cannot set up.
/// </summary>
public static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var path = Environment.GetEnvironmentVariable("EVENTS_TEST_CHROMIUM") ?? ChromiumPath;
        Assert.True(File.Exists(path), $"{path} is missing: install Debian's chromium package (scripts/test.sh does) or set EVENTS_TEST_CHROMIUM.");
        var args = new List<string>
        {
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage",
        };
        if (IsRoot())
        {
            args.Add("--no-sandbox");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = path, Headless = true, Args = args });
        return (playwright, browser);
    }

    private static bool IsRoot() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } line
        && line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";
}
