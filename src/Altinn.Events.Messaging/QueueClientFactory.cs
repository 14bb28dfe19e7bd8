using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging;

/// <summary>
/// Hands out <see cref="QueueClient"/>s for queue names, authenticated either by connection string
/// or by managed identity. Creating a client does no I/O; queues are provisioned by
/// <see cref="QueueProvisioner"/>, never as a side effect of resolving a client. The options are read on first
/// use, so a bad setting surfaces from start-up validation with its key named rather than from a constructor.
/// </summary>
public sealed class QueueClientFactory(IOptions<QueueOptions> options)
{
    private QueueServiceClient? _service;

    private QueueServiceClient Service => _service ??= Create(options.Value);

    public QueueClient GetQueue(string name) => Service.GetQueueClient(name);

    public QueueClient GetPoisonQueue(string name) => Service.GetQueueClient(PoisonQueueName(name));

    public static string PoisonQueueName(string name) => name + QueueOptions.PoisonSuffix;

    private static QueueServiceClient Create(QueueOptions o)
    {
        // Plain text bodies: every message we write is JSON, and base64 would only cost 33 % of the 64 KB.
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        // A queue operation takes milliseconds. The SDK's defaults (100 s per try, retries backing off towards a minute)
        // would let a hung storage endpoint hold the relay's outbox rows and a listener's slots for minutes; an outage is
        // better noticed in seconds, and the callers wait and retry on their own.
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        clientOptions.Retry.MaxRetries = 3;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        return o.ConnectionString is { Length: > 0 } cs
            ? new QueueServiceClient(cs, clientOptions)
            : new QueueServiceClient(
                o.ServiceUri!,
                new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = o.ManagedIdentityClientId }),
                clientOptions);
    }
}
