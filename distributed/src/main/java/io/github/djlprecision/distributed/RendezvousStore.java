package io.github.djlprecision.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The key-value store the ranks meet through, in the role of PyTorch's {@code TCPStore}: rank 0
 * serves it on {@code MASTER_PORT}, every rank (rank 0 too) is a client. Gloo's rendezvous writes
 * each rank's transport addresses here and reads its peers'. The store also knows which ranks'
 * connections closed, so that a failed collective can name a rank that died.
 */
final class RendezvousStore implements AutoCloseable {

    private static final byte SET = 1;
    private static final byte GET = 2;
    private static final byte GONE = 3;

    private final Server server;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    private RendezvousStore(Server server, Socket socket) throws IOException {
        this.server = server;
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = new DataOutputStream(socket.getOutputStream());
    }

    /**
     * Connects to rank 0's store, serving it first on rank 0; retries until rank 0 listens.
     *
     * @param launch this process's launch
     * @param timeout how long to try
     * @return the connected store
     * @throws ProcessGroupException when rank 0 cannot be reached in time
     */
    static RendezvousStore connect(LaunchEnvironment launch, Duration timeout) {
        Server server = null;
        try {
            if (launch.rank() == 0) {
                server = new Server(launch.masterPort());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    Socket socket = new Socket();
                    socket.connect(
                            new InetSocketAddress(launch.masterAddress(), launch.masterPort()),
                            (int) Math.max(1, Math.min(timeout.toMillis(), 5_000)));
                    socket.setTcpNoDelay(true);
                    RendezvousStore store = new RendezvousStore(server, socket);
                    store.out.writeInt(launch.rank());
                    store.out.flush();
                    return store;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new ProcessGroupException(
                                "rank "
                                        + launch.rank()
                                        + ": rank 0's rendezvous at "
                                        + launch.masterAddress()
                                        + ":"
                                        + launch.masterPort()
                                        + " could not be reached within "
                                        + timeout.toMillis()
                                        + " ms",
                                e);
                    }
                    Thread.sleep(100);
                }
            }
        } catch (IOException e) {
            throw new ProcessGroupException(
                    "rank 0: could not serve the rendezvous on port "
                            + launch.masterPort()
                            + " ("
                            + e.getMessage()
                            + "); MASTER_PORT must be a free port",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProcessGroupException("interrupted while reaching the rendezvous", e);
        } catch (RuntimeException e) {
            if (server != null) {
                server.close();
            }
            throw e;
        }
    }

    synchronized void set(String key, byte[] value) {
        try {
            out.writeByte(SET);
            out.writeUTF(key);
            out.writeInt(value.length);
            out.write(value);
            out.flush();
            in.readByte();
        } catch (IOException e) {
            throw new UncheckedIOException("rendezvous store lost while setting " + key, e);
        }
    }

    /** Returns the key's value, waiting for it at most the timeout; null when it did not appear. */
    synchronized byte[] get(String key, long timeoutMillis) {
        try {
            out.writeByte(GET);
            out.writeUTF(key);
            out.writeLong(timeoutMillis);
            out.flush();
            int length = in.readInt();
            if (length < 0) {
                return null;
            }
            byte[] value = new byte[length];
            in.readFully(value);
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("rendezvous store lost while reading " + key, e);
        }
    }

    /**
     * Returns the ranks whose connection to the store closed (processes that ended), asking for at
     * most a second.
     *
     * @throws IOException when the store itself is gone (rank 0 ended)
     */
    synchronized Set<Integer> goneRanks() throws IOException {
        socket.setSoTimeout(1_000);
        out.writeByte(GONE);
        out.flush();
        int count = in.readInt();
        Set<Integer> gone = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            gone.add(in.readInt());
        }
        socket.setSoTimeout(0);
        return gone;
    }

    /** Returns this host's address on the route to rank 0, for peers to reach this rank at. */
    String localAddress() {
        return socket.getLocalAddress().getHostAddress();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to release beyond the socket
        }
        if (server != null) {
            server.close();
        }
    }

    /** Rank 0's side: a thread accepting clients and one thread per client. */
    private static final class Server {

        private final ServerSocket serverSocket;
        private final Map<String, byte[]> values = new HashMap<>();
        private final Set<Integer> gone = new TreeSet<>();
        private final List<Socket> clients = new ArrayList<>();

        Server(int port) throws IOException {
            serverSocket = new ServerSocket();
            serverSocket.setReuseAddress(true);
            serverSocket.bind(new InetSocketAddress(port));
            Thread acceptor = new Thread(this::accept, "djlp-rendezvous-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            while (!serverSocket.isClosed()) {
                try {
                    Socket client = serverSocket.accept();
                    client.setTcpNoDelay(true);
                    synchronized (this) {
                        clients.add(client);
                    }
                    Thread handler = new Thread(() -> serve(client), "djlp-rendezvous-client");
                    handler.setDaemon(true);
                    handler.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void serve(Socket client) {
            int rank = -1;
            try (client) {
                DataInputStream in = new DataInputStream(client.getInputStream());
                DataOutputStream out = new DataOutputStream(client.getOutputStream());
                rank = in.readInt();
                while (true) {
                    byte op = in.readByte();
                    if (op == SET) {
                        String key = in.readUTF();
                        byte[] value = new byte[in.readInt()];
                        in.readFully(value);
                        synchronized (this) {
                            values.put(key, value);
                            notifyAll();
                        }
                        out.writeByte(0);
                    } else if (op == GET) {
                        byte[] value = await(in.readUTF(), in.readLong());
                        if (value == null) {
                            out.writeInt(-1);
                        } else {
                            out.writeInt(value.length);
                            out.write(value);
                        }
                    } else if (op == GONE) {
                        List<Integer> ranks;
                        synchronized (this) {
                            ranks = new ArrayList<>(gone);
                        }
                        out.writeInt(ranks.size());
                        for (int gone : ranks) {
                            out.writeInt(gone);
                        }
                    } else {
                        return;
                    }
                    out.flush();
                }
            } catch (IOException e) {
                // the client ended
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (rank >= 0) {
                    synchronized (this) {
                        gone.add(rank);
                    }
                }
            }
        }

        private synchronized byte[] await(String key, long timeoutMillis)
                throws InterruptedException {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (!values.containsKey(key)) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return null;
                }
                wait(left);
            }
            return values.get(key);
        }

        void close() {
            try {
                serverSocket.close();
                synchronized (this) {
                    for (Socket client : clients) {
                        client.close();
                    }
                }
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
