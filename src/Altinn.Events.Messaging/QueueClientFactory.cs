using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging;

/// <summary>
/// Hands out <see cref="QueueClient"/>s for queue names, authenticated either by connection string
/// or by managed identity. Creating a client does no I/O; queues are provisioned by
/// <see cref="QueueProvisioner"/>, never as a side effect of resolving a client.
/// </summary>
public sealed class QueueClientFactory
{
    private readonly QueueServiceClient _service;

    public QueueClientFactory(IOptions<QueueOptions> options)
    {
        var o = options.Value;
        // Plain text bodies: every message we write is JSON, and base64 would only cost 33 % of the 64 KB.
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        _service = o.ConnectionString is { Length: > 0 } cs
            ? new QueueServiceClient(cs, clientOptions)
            : new QueueServiceClient(
                o.ServiceUri!,
                new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = o.ManagedIdentityClientId }),
                clientOptions);
    }

    public QueueClient GetQueue(string name) => _service.GetQueueClient(name);

    public QueueClient GetPoisonQueue(string name) => _service.GetQueueClient(PoisonQueueName(name));

    public static string PoisonQueueName(string name) => name + QueueOptions.PoisonSuffix;
}
