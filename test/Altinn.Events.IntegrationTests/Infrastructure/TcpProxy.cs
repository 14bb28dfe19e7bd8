using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a real server (PostgreSQL, Azurite) that a test can take down and bring back: down,
/// it drops every open connection and refuses new ones (the port is closed, as when the server was killed); up, it
/// listens on the same port again. The hosts under test connect through it and notice nothing else.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly Lock _gate = new();
    private TcpListener? _listener;

    public TcpProxy(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(Dns.GetHostAddresses(targetHost).First(a => a.AddressFamily == AddressFamily.InterNetwork), targetPort);
        Up();
    }

    public int Port { get; private set; }

    public bool IsDown { get; private set; }

    /// <summary>Listens again (on the same port after the first time).</summary>
    public void Up()
    {
        lock (_gate)
        {
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            IsDown = false;
            _ = AcceptAsync(listener);
        }
    }

    /// <summary>Closes the port and resets every open connection.</summary>
    public void Down()
    {
        lock (_gate)
        {
            IsDown = true;
            _listener?.Stop();
            _listener = null;
            foreach (var socket in _open.Keys)
            {
                Abort(socket);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopped.Cancel();
        Down();
        _stopped.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stopped.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stopped.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_target, _stopped.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The proxy went down or one side closed.
        }
        finally
        {
            Abort(client);
            Abort(server);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[81920];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopped.Token);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopped.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed.
        }
    }

    private void Abort(Socket socket)
    {
        _open.TryRemove(socket, out _);
        try
        {
            // A reset, not a polite close: what the peer of a killed process sees.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }
}
