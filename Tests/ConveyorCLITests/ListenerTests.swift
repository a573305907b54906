import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// What a connection to `conveyor serve` may cost, and HTTPS: spoken to by Python's standard
/// library, a client of its own, over loopback.
@Suite("conveyor serve: TLS, idle connections, the connection cap")
struct ListenerTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made with openssl in `cli`'s folder.
    static func certificate(_ cli: ConveyorProcess) async throws -> (certificate: String, key: String) {
        let (certificate, key) = (
            cli.directory.appendingPathComponent("cert.pem").path, cli.directory.appendingPathComponent("key.pem").path
        )
        let made = try await Program.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made.output)")
        return (certificate, key)
    }

    @Test("with a certificate and key, serve speaks HTTPS only, and the session cookie is Secure and __Host-")
    func https() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (certificate, key) = try await Self.certificate(cli)
        let admin = APIKeySecret.generate(customer: nil).secret
        let (server, url) = try await ServeCommandTests.serve(
            cli, environment: ["TLS_CERT_FILE": certificate, "TLS_KEY_FILE": key, "CONVEYOR_ADMIN_KEY": admin])
        defer { server.stop() }
        #expect(url.scheme == "https")
        let client = """
            import http.client, ssl, sys
            host, port, cafile, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
            context = ssl.create_default_context(cafile=cafile)
            tls = http.client.HTTPSConnection(host, port, context=context, timeout=20)
            tls.request("GET", "/livez")
            answer = tls.getresponse()
            answer.read()
            print("livez", answer.status)
            tls.request("POST", "/sign-in", body="key=" + key,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
            answer = tls.getresponse()
            answer.read()
            print("sign-in", answer.status, answer.getheader("Set-Cookie"))
            try:
                plain = http.client.HTTPConnection(host, port, timeout=20)
                plain.request("GET", "/livez")
                print("plain", plain.getresponse().status)
            except Exception as error:
                print("plain refused", type(error).__name__)
            """
        let (status, output) = try await Program.run(
            "python3", ["-c", client, "127.0.0.1", String(url.port ?? 0), certificate, admin])
        #expect(status == 0, "\(output)")
        #expect(output.contains("livez 200"))
        let signIn = try #require(output.split(separator: "\n").first { $0.hasPrefix("sign-in ") })
        #expect(signIn.hasPrefix("sign-in 303 __Host-conveyor_session=") && signIn.contains("Secure"), "\(signIn)")
        #expect(output.contains("plain refused"), "plain HTTP gets no answer from an HTTPS server: \(output)")
        #expect(!server.output.contains(admin), "the admin key is never logged")

        let missing = try await cli.run(
            ["serve", "--port", "0"], environment: ["TLS_CERT_FILE": certificate, "TLS_KEY_FILE": "/nonexistent.pem"])
        #expect(missing.status != 0 && missing.stderr.contains("TLS_KEY_FILE"), "\(missing.stderr)")
        let alone = try await cli.run(["serve", "--port", "0"], environment: ["TLS_CERT_FILE": certificate])
        #expect(alone.status != 0 && alone.stderr.contains("TLS_KEY_FILE must be set with TLS_CERT_FILE"))
    }

    @Test("past HTTP_MAX_CONNECTIONS a connection waits for one to close; an idle or trickling client is cut")
    func connections() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (server, url) = try await ServeCommandTests.serve(
            cli, environment: ["HTTP_MAX_CONNECTIONS": "2", "HTTP_IDLE_TIMEOUT_SECONDS": "2"])
        defer { server.stop() }
        let client = """
            import socket, sys, time
            host, port = sys.argv[1], int(sys.argv[2])
            request = b"GET /livez HTTP/1.1\\r\\nHost: conveyor\\r\\n\\r\\n"
            first, second = socket.create_connection((host, port)), socket.create_connection((host, port))
            # Both answered, so the server has taken both before the third comes (it takes
            # connections that arrive together in one go).
            for connection in (first, second):
                connection.sendall(request)
                connection.recv(1000)
            third = socket.create_connection((host, port))
            third.sendall(request)
            third.settimeout(0.5)
            try:
                third.recv(100)
                print("third answered at once")
            except socket.timeout:
                print("third waits")
            first.close()
            third.settimeout(20)
            print("third then", third.recv(100).split(b"\\r\\n")[0].decode())
            second.close(); third.close()
            # A client that sends its headers a byte at a time, never finishing them.
            slow = socket.create_connection((host, port))
            slow.sendall(b"GET /livez HTTP/1.1\\r\\nX-Slow: ")
            started = time.monotonic()
            while time.monotonic() - started < 30:
                try:
                    slow.sendall(b"a")
                    slow.settimeout(0.2)
                    if slow.recv(100) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            print("trickling cut after %.0f s" % (time.monotonic() - started))
            """
        let (status, output) = try await Program.run("python3", ["-c", client, "127.0.0.1", String(url.port ?? 0)])
        #expect(status == 0, "\(output)")
        #expect(output.contains("third waits"), "\(output)")
        #expect(output.contains("third then HTTP/1.1 200 OK"), "\(output)")
        let cut = try #require(output.split(separator: "\n").first { $0.hasPrefix("trickling cut after") })
        let seconds = Int(cut.split(separator: " ")[3]) ?? 99
        #expect((1...10).contains(seconds), "cut near the 2 s idle timeout while still sending: \(cut)")
    }
}
