using System.Net;
using System.Net.Sockets;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>What kind of network an address belongs to, as far as webhook delivery cares (SSRF).</summary>
public enum AddressClass
{
    /// <summary>A globally routable address: webhooks may go there.</summary>
    Public,
    Loopback,
    Private,
    LinkLocal,
    CarrierGradeNat,
    Metadata,
    Unspecified,
    Multicast,
    Reserved,
}

/// <summary>
/// Classifies IP addresses so that a webhook cannot be pointed at the service's own network: loopback, private
/// (RFC 1918, IPv6 unique local), link-local (which holds most providers' metadata and host services: 169.254.169.254,
/// AWS's 169.254.170.2 and 169.254.169.253), carrier-grade NAT (100.64/10, with Alibaba's metadata 100.100.100.200),
/// provider host endpoints outside those ranges (Azure's 168.63.129.16: DNS, DHCP, health probes and the VM agent's
/// WireServer; AWS's fd00:ec2::254), and addresses that are never a real peer, including IPv6 transition prefixes that
/// embed an IPv4 address (NAT64, 6to4, Teredo). IPv4-mapped IPv6 addresses are judged as IPv4.
/// </summary>
public static class AddressClassifier
{
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    public static AddressClass Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ClassifyV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => ClassifyV6(address),
            _ => AddressClass.Reserved,
        };
    }

    /// <summary>Whether a webhook may connect to <paramref name="address"/>; loopback only when <paramref name="allowLoopback"/>.</summary>
    public static bool IsAllowed(IPAddress address, bool allowLoopback) => Classify(address) switch
    {
        AddressClass.Public => true,
        AddressClass.Loopback => allowLoopback,
        _ => false,
    };

    private static AddressClass ClassifyV4(byte[] b)
    {
        // 169.254.169.254: the metadata service of Azure, AWS, GCP and others; 168.63.129.16: Azure's host endpoint.
        if ((b[0] == 169 && b[1] == 254 && b[2] == 169 && b[3] == 254) || (b[0] == 168 && b[1] == 63 && b[2] == 129 && b[3] == 16))
        {
            return AddressClass.Metadata;
        }

        return b[0] switch
        {
            0 => AddressClass.Unspecified,
            10 => AddressClass.Private,
            127 => AddressClass.Loopback,
            100 when b[1] is >= 64 and <= 127 => AddressClass.CarrierGradeNat,
            169 when b[1] == 254 => AddressClass.LinkLocal,
            172 when b[1] is >= 16 and <= 31 => AddressClass.Private,
            192 when b[1] == 168 => AddressClass.Private,
            // 192.0.0.0/24 (IETF protocol assignments), 198.18.0.0/15 (benchmarking).
            192 when b[1] == 0 && b[2] == 0 => AddressClass.Reserved,
            198 when b[1] is 18 or 19 => AddressClass.Reserved,
            >= 224 and <= 239 => AddressClass.Multicast,
            >= 240 => AddressClass.Reserved,
            _ => AddressClass.Public,
        };
    }

    private static AddressClass ClassifyV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Any))
        {
            return AddressClass.Unspecified;
        }

        if (IPAddress.IsLoopback(address))
        {
            return AddressClass.Loopback;
        }

        if (address.Equals(AwsMetadataV6))
        {
            return AddressClass.Metadata;
        }

        if (address.IsIPv6LinkLocal)
        {
            return AddressClass.LinkLocal;
        }

        if (address.IsIPv6Multicast)
        {
            return AddressClass.Multicast;
        }

        var b = address.GetAddressBytes();
        if ((b[0] & 0xfe) == 0xfc || address.IsIPv6SiteLocal)
        {
            // fc00::/7 unique local (fd00::/8 in practice), and the deprecated fec0::/10 site-local.
            return AddressClass.Private;
        }

        // ::/96 (IPv4-compatible, deprecated), 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64: could reach anything behind the
        // translator), 2002::/16 (6to4) and 2001::/32 (Teredo), which carry an IPv4 address a relay reaches, 100::/64
        // (discard), 2001:db8::/32 (documentation).
        if (b.Take(12).All(x => x == 0)
            || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
            || (b[0] == 0x20 && b[1] == 0x02)
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
            || (b[0] == 0x01 && b[1] == 0x00 && b.Skip(2).Take(6).All(x => x == 0))
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8))
        {
            return AddressClass.Reserved;
        }

        return AddressClass.Public;
    }
}

/// <summary>Resolves a host name to its addresses; behind an interface so tests can feed addresses without DNS.</summary>
public interface IHostAddressResolver
{
    /// <summary>The host's addresses (an IP literal resolves to itself); throws when the name does not resolve.</summary>
    Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}
