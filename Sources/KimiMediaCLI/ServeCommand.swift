import ArgumentParser
import Foundation
import KimiGateway
import KimiMedia

/// `kimi-media serve`: the gateway (docs/gateway.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run an OpenAI-compatible gateway in front of the Moonshot API that prepares every image and video a client sends.",
        discussion: """
            Point any OpenAI-compatible client's base URL at the printed address: photos (HEIC, AVIF, \
            48 MP JPEG…) and videos (MKV, 4K MOV…) sent as base64 data URLs, or as paths under --allow-dir, \
            are fitted and made API-ready, sent inline or uploaded by exact body size, the same content \
            always under the same ms:// id. The upstream is --base-url / $MOONSHOT_BASE_URL with the \
            gateway's own key; one rate limiter serves every client. Prints one line, \
            'kimi-media serve: listening on http://HOST:PORT/v1', then one JSON log line per request on \
            standard error. SIGTERM or SIGINT: stops accepting, finishes what is in flight, exits 0.
            """
    )

    @Option(help: "Address to listen on (a host other than loopback needs --client-keys).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed).") var port = 8787
    @Option(name: .customLong("allow-dir"), help: ArgumentHelp("Clients may name files under DIR by path (file:// or absolute); repeatable. Default: none.",
                                                               valueName: "DIR"), completion: .directory)
    var allowDirs: [String] = []
    @Option(help: ArgumentHelp("Bearer keys clients must send, one a line (required beyond loopback).", valueName: "FILE"), completion: .file())
    var clientKeys: String?
    @Flag(help: "With --client-keys, pass the Files API through anyway (every client then sees, reads and deletes the account's files).")
    var shareFilesApi = false
    @Option(help: "The largest request body taken, in bytes.") var maxBodyBytes: Int64 = 200_000_000
    @Option(help: "Seconds a request may wait for the API's rate limits or the server's limits before a 429 with Retry-After.")
    var queueTimeout: Double = 30
    @Flag(help: "Upload every medium and reference it as ms://ID (default: inline unless the body would pass the API's limit).")
    var uploadAll = false
    @Flag(help: "Forward token estimates to the API (after preparation) instead of answering them offline.") var remoteEstimates = false
    @Option(help: "Media parts one request may carry.") var maxMedia = 64
    @Option(help: "Pixels one request's media may hold together.") var maxPixels: Int64 = 1_000_000_000
    @Option(help: "Seconds of video one request may carry.") var maxVideoSeconds: Double = 10_800
    @Option(help: "Media the whole server prepares at once (beyond them requests wait).") var maxMediaInFlight = 256
    @Option(help: "Files prepared at once (default: one per core, the cores shared among them).") var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seconds a client may take to send a request's head.") var headerTimeout: Double = 10
    @Option(help: "Seconds a connection may stay silent inside a body or between requests.") var idleTimeout: Double = 60
    @Option(help: "Where media live while their request runs (default: the temporary directory).", completion: .directory) var workDir: String?
    @Flag(help: "No log line per request.") var quiet = false
    @OptionGroup var api: APIOptions

    func run() async throws {
        var settings = GatewayConfiguration(api: try api.configuration())
        settings.host = host
        settings.port = port
        settings.allowedDirectories = allowDirs
        if let clientKeys {
            do { settings.clientKeys = try GatewayConfiguration.clientKeys(file: clientKeys) } catch {
                throw ValidationError("--client-keys \(clientKeys): \(error.localizedDescription)")
            }
        }
        settings.maxBodyBytes = maxBodyBytes
        settings.shareFilesAPI = shareFilesApi
        settings.queueTimeout = queueTimeout
        settings.remoteEstimates = remoteEstimates
        settings.payloadMode = uploadAll ? .uploadAll : .auto
        settings.maxMediaPerRequest = maxMedia
        settings.maxPixelsPerRequest = maxPixels
        settings.maxVideoSecondsPerRequest = maxVideoSeconds
        settings.maxMediaInFlight = maxMediaInFlight
        settings.jobs = jobs
        settings.headerTimeout = headerTimeout
        settings.idleTimeout = idleTimeout
        if let workDir { settings.workDirectory = URL(fileURLWithPath: workDir).standardizedFileURL.path }
        settings.uploadCache = api.cache
        settings.upstreamTimeout = api.timeout
        settings.retry = RetryPolicy(maxAttempts: api.attempts)
        settings.log = !quiet
        let gateway: Gateway
        do { gateway = try Gateway(configuration: settings) } catch let error as GatewayStartError {
            throw ValidationError(error.description)
        }
        try await gateway.run { address in
            FileHandle.standardOutput.write(Data("kimi-media serve: listening on \(address)\n".utf8))
        }
    }
}
