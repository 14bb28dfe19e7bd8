using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Persistence;

/// <summary>PostgreSQL settings, bound from the <c>Database</c> section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>An Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=5433;Database=events;Username=events;Password=...</c>.</summary>
    [Required(ErrorMessage = "Database:ConnectionString is required.")]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Apply pending migrations when the host starts (off by default: the run and test commands migrate first).</summary>
    public bool MigrateOnStart { get; set; }
}
