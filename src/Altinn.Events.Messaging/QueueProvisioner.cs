using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging;

/// <summary>Creates the configured queues and their poison queues. Called by the CLI and, when enabled, at host start.</summary>
public sealed class QueueProvisioner(QueueClientFactory factory, IOptions<QueueOptions> options)
{
    public async Task<IReadOnlyList<string>> EnsureQueuesAsync(CancellationToken cancellationToken)
    {
        var created = new List<string>();
        foreach (var name in options.Value.AllQueues())
        {
            foreach (var queue in new[] { factory.GetQueue(name), factory.GetPoisonQueue(name) })
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                created.Add(queue.Name);
            }
        }

        return created;
    }
}
