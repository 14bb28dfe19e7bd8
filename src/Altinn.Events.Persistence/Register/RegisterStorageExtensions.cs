using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Register;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.Persistence.Register;

public static class RegisterStorageExtensions
{
    /// <summary>
    /// The party register, the authorized parties and the role store over the local <c>parties</c> and <c>party_roles</c>
    /// tables (migration 0002), which the embedded modes of <c>AddEventsAuthorization</c> read. The remote modes register
    /// the platform's lookups in their place, whichever of the two is called first. The data source comes from
    /// <c>AddEventsDatabase</c>.
    /// </summary>
    public static IServiceCollection AddLocalRegister(this IServiceCollection services)
    {
        services.TryAddSingleton<IRoleStore, PostgresRoleStore>();
        services.TryAddSingleton<IPartyRegister, PostgresPartyRegister>();
        services.TryAddSingleton<IAuthorizedParties, PostgresAuthorizedParties>();
        return services;
    }
}
