using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Altinn.Events.Chaos;

/// <summary>
/// One run: starts PostgreSQL, Azurite, the webhook receiver, the API and the stage host; migrates, creates the queues
/// and a validated subscription; publishes while the <see cref="Monkey"/> breaks things; waits for every acknowledged
/// event to be pushed; checks the store; writes the report. Whatever happens, every process it started is stopped.
/// </summary>
internal sealed class ChaosRun(ChaosSettings settings, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.LogDir);
        var origin = time.GetTimestamp();
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        using var client = CreateClient();
        var postgres = new PostgresService(settings, time);
        var azurite = new AzuriteService(settings, time);
        var services = new List<Service> { postgres, azurite };
        await using var timeline = new StreamWriter(Path.Combine(settings.LogDir, "chaos.log"), append: true);
        try
        {
            Console.WriteLine($"chaos: {settings.ModeName} run, {settings.Events:N0} events at {settings.Concurrency} concurrent"
                + (settings.Rate > 0 ? $" ({settings.Rate:F0}/s)" : "") + $", seed {seed}; logs in {settings.LogDir}");
            await StartAsync(postgres, "PostgreSQL", cancellationToken);
            await StartAsync(azurite, "Azurite", cancellationToken);
            var cliEnvironment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Database__ConnectionString"] = postgres.ConnectionString(),
                ["Queues__ConnectionString"] = azurite.ConnectionString,
            };
            await CliAsync(["migrate"], cliEnvironment, cancellationToken);
            await CliAsync(["seed"], cliEnvironment, cancellationToken);
            await CliAsync(["queues"], cliEnvironment, cancellationToken);
            var issuer = Path.Combine(settings.RunDir, "dev-issuer");
            await CliAsync(["dev-issuer", issuer], cliEnvironment, cancellationToken);
            var token = (await CliAsync(["token", "--key-dir", issuer, "--lifetime", "1440", "--org", "ttd", "--scope", "altinn:events.publish altinn:events.subscribe"], cliEnvironment, cancellationToken)).Trim();

            await using var receiver = await Receiver.StartAsync(time, origin, cancellationToken);
            var apiPort = Receiver.FreePort();
            var stagesPort = Receiver.FreePort();
            var environment = HostEnvironment(postgres, azurite, receiver, issuer, apiPort);
            var api = new HostService("api", Target.Api, settings, settings.ApiDll, apiPort, environment, client, time);
            var stages = new HostService("stages", Target.Stages, settings, settings.StagesDll, stagesPort, environment, client, time);
            services.Add(api);
            services.Add(stages);
            await StartAsync(api, "the API", cancellationToken);
            await StartAsync(stages, "the stage host", cancellationToken);
            foreach (var host in new[] { api, stages })
            {
                if (!await WaitReadyAsync(host, cancellationToken))
                {
                    throw new ChaosException($"{host.Name} was not ready within 60 s (log: {host.LogFile})");
                }
            }

            var apiUrl = api.BaseUrl + "/events/api/v1";
            var subscription = await SubscribeAsync(client, apiUrl, token, receiver.HookUrl, cancellationToken);
            Console.WriteLine($"chaos: subscription {subscription} validated; publishing");

            var prefix = $"chaos-{time.GetUtcNow():yyyyMMddHHmmss}-{seed:x8}-";
            var giveUp = settings.Mode == ChaosMode.Outage ? settings.OutageLength + TimeSpan.FromMinutes(3) : TimeSpan.FromMinutes(5);
            var publisher = new Publisher(settings, client, apiUrl, token, prefix, giveUp, time, origin);
            using var monkey = new Monkey(settings, services, receiver, () => publisher.Progress, random, time, origin, timeline);
            using var supervise = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var supervisor = monkey.SuperviseAsync(supervise.Token);
            using var publishing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var publishStart = time.GetElapsedTime(origin);
            var chaos = settings.Mode == ChaosMode.Kill
                ? monkey.KillLoopAsync(publishing.Token, cancellationToken)
                : monkey.OutageAsync(TimeSpan.FromSeconds(Math.Min(30, settings.Events / Math.Max(settings.Rate, 1) / 4)), cancellationToken);
            var progress = ReportProgressAsync(publisher, receiver, publishing.Token);
            await publisher.RunAsync(cancellationToken);
            var publishEnd = time.GetElapsedTime(origin);
            await publishing.CancelAsync();
            await chaos;
            await progress;
            Console.WriteLine($"chaos: publishing ended after {(publishEnd - publishStart).TotalSeconds:F1} s: {publisher.Acknowledged.Count:N0} acknowledged, {publisher.GaveUp.Count:N0} given up");
            if (settings.Mode == ChaosMode.Kill)
            {
                await monkey.KillMissingAsync(cancellationToken);
            }

            var notUp = await monkey.WaitAllUpAsync(TimeSpan.FromSeconds(90), cancellationToken);
            Console.WriteLine("chaos: waiting for every acknowledged event to be pushed" + (notUp.Count > 0 ? $" (not answering: {string.Join(", ", notUp)})" : ""));
            var drained = await DrainAsync(publisher, receiver, cancellationToken);
            // Late duplicates (a retry of a push that had in fact arrived) come within seconds.
            await Task.Delay(TimeSpan.FromSeconds(settings.Short ? 3 : 10), time, cancellationToken);
            await supervise.CancelAsync();
            await supervisor;

            var store = await StoreCheck.RunAsync(postgres.ConnectionString(), azurite.ConnectionString, prefix, subscription,
                [.. publisher.Acknowledged.Keys.Where(id => !receiver.FirstPush.ContainsKey(id))], cancellationToken);
            var report = new ChaosReport(settings, seed, publisher, receiver, monkey, store, publishStart, publishEnd, drained, services);
            var text = report.Write();
            var path = Path.Combine(settings.RunDir, "report.md");
            await File.WriteAllTextAsync(path, text, cancellationToken);
            Console.WriteLine();
            Console.WriteLine(text);
            Console.WriteLine($"chaos: report {path}; host logs {settings.LogDir} (api.log, stages.log, postgres.log, azurite.log, chaos.log)");
            return report.Failures.Count == 0 ? 0 : 1;
        }
        catch (ChaosException ex)
        {
            await Console.Error.WriteLineAsync($"chaos: FAILED: {ex.Message}");
            await Console.Error.WriteLineAsync($"chaos: logs in {settings.LogDir}");
            return 1;
        }
        finally
        {
            await StopAllAsync(services);
        }
    }

    private static async Task StartAsync(Service service, string what, CancellationToken cancellationToken)
    {
        if (!await service.StartAsync(TimeSpan.FromSeconds(90), cancellationToken))
        {
            throw new ChaosException($"{what} did not start within 90 s (log: {service.LogFile}):\n{Tail(service.LogFile, 20)}");
        }
    }

    private async Task<bool> WaitReadyAsync(HostService host, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            if (await host.ReadyAsync(cancellationToken))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }

        return false;
    }

    /// <summary>Stops what is still running, whatever happened: hosts first, then Azurite, then PostgreSQL (fast shutdown).</summary>
    private static async Task StopAllAsync(List<Service> services)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var service in Enumerable.Reverse(services))
        {
            try
            {
                await service.StopAsync(service.Target == Target.Postgres ? Os.SigInt : Os.SigTerm, TimeSpan.FromSeconds(service.Target == Target.Azurite ? 5 : 15), deadline.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"chaos: stopping {service.Name}: {ex.Message}");
            }
        }
    }

    private Dictionary<string, string> HostEnvironment(PostgresService postgres, AzuriteService azurite, Receiver receiver, string issuer, int apiPort)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Database__ConnectionString"] = postgres.ConnectionString(),
            ["Queues__ConnectionString"] = azurite.ConnectionString,
            ["Subscriptions__PublicBaseUrl"] = $"http://127.0.0.1:{apiPort}",
            ["Subscriptions__AllowHttpLoopback"] = "true",
            ["Authentication__Issuers__dev__Issuer"] = "https://dev-issuer.altinn-events.local",
            ["Authentication__Issuers__dev__JwksFile"] = Path.Combine(issuer, "jwks.json"),
            ["Authentication__Issuers__dev__Audiences__0"] = "altinn-events",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Altinn"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        if (settings.Mode == ChaosMode.Outage && settings.OutageTarget == Target.Pdp)
        {
            environment["Authorization__Pdp__Mode"] = "Remote";
            environment["Authorization__Pdp__Endpoint"] = receiver.PdpUrl;
        }

        return environment;
    }

    private async Task<string> CliAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = settings.RepoRoot };
        info.ArgumentList.Add(settings.CliDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new ChaosException("could not start the CLI");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new ChaosException($"altinn-events {arguments[0]} failed ({process.ExitCode}): {await output}{await error}");
        }

        if (arguments[0] != "token")
        {
            Console.WriteLine("chaos: " + (await output).Trim());
        }

        return await output;
    }

    private async Task<string> SubscribeAsync(HttpClient client, string apiUrl, string token, string endPoint, CancellationToken cancellationToken)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, apiUrl + "/subscriptions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { endPoint, resourceFilter = Publisher.Resource }, Json), Encoding.UTF8, "application/json"),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var created = await client.SendAsync(create, cancellationToken);
        var body = await created.Content.ReadAsStringAsync(cancellationToken);
        if (!created.IsSuccessStatusCode)
        {
            throw new ChaosException($"creating the subscription answered {(int)created.StatusCode}: {body}");
        }

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, apiUrl + "/subscriptions/" + id);
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(get, cancellationToken);
            if (response.IsSuccessStatusCode
                && JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.TryGetProperty("validationStatus", out var status)
                && status.GetString() == "validated")
            {
                return id;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }

        throw new ChaosException($"subscription {id} was not validated within 60 s");
    }

    private async Task ReportProgressAsync(Publisher publisher, Receiver receiver, CancellationToken publishing)
    {
        while (!publishing.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), time, publishing);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Console.WriteLine($"chaos: {publisher.Acknowledged.Count:N0} of {settings.Events:N0} acknowledged, {receiver.FirstPush.Count:N0} pushed");
        }
    }

    /// <summary>Waits until every acknowledged event has been pushed at least once; false at the drain timeout.</summary>
    private async Task<bool> DrainAsync(Publisher publisher, Receiver receiver, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var lastReport = started;
        while (true)
        {
            var missing = publisher.Acknowledged.Keys.Count(id => !receiver.FirstPush.ContainsKey(id));
            if (missing == 0)
            {
                return true;
            }

            if (time.GetElapsedTime(started) > settings.DrainTimeout)
            {
                return false;
            }

            if (time.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(15))
            {
                lastReport = time.GetTimestamp();
                Console.WriteLine($"chaos: {missing:N0} acknowledged events not pushed yet ({time.GetElapsedTime(started).TotalSeconds:F0} s of at most {settings.DrainTimeout.TotalSeconds:F0} s)");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
    }

    // The client owns the handler (disposeHandler: true) and the caller disposes the client.
#pragma warning disable CA2000
    private static HttpClient CreateClient() => new(
        new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
        },
        disposeHandler: true)
    {
        Timeout = TimeSpan.FromSeconds(30),
    };
#pragma warning restore CA2000

    internal static string Tail(string path, int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(path).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}

/// <summary>A run that could not be set up (a process did not start, the subscription was not validated).</summary>
internal sealed class ChaosException(string message) : Exception(message);
