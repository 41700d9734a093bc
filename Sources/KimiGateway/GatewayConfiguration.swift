import Foundation
import KimiAPI
import KimiMedia

/// Everything `kimi-media serve` is started with (docs/gateway.md lists each with its default).
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (printed on start).
    public var port = 8787
    /// The upstream: base URL, the gateway's own key, rate limits (one limiter for every client).
    public var api: APIConfiguration
    /// Folders whose files clients may name by path (`file://` or absolute); resolved, links followed.
    public var allowedDirectories: [String] = []
    /// Bearer keys clients must send; `nil`: none asked (loopback only).
    public var clientKeys: Set<String>?
    /// The largest request body accepted (bytes, as it arrives, base64 included).
    public var maxBodyBytes: Int64 = 200_000_000
    /// The text of a body outside its data URLs (held in memory).
    public var maxSkeletonBytes = 16 << 20
    /// A request that would wait longer than this for the upstream's rate limits, or for room in
    /// the server's limits, is answered 429 with `Retry-After`.
    public var queueTimeout: Double = 30
    /// Inline or upload: by exact body size (`auto`), or every medium uploaded.
    public var payloadMode = PayloadMode.auto
    /// Forward `POST /v1/tokenizers/estimate-token-count` (after preparation) instead of answering offline.
    public var remoteEstimates = false
    /// Per request.
    public var maxMediaPerRequest = 64
    public var maxPixelsPerRequest: Int64 = 1_000_000_000
    public var maxVideoSecondsPerRequest: Double = 3 * 3600
    /// The whole server at once (every request being prepared): beyond them requests wait, up to
    /// ``queueTimeout``.
    public var maxMediaInFlight = 256
    public var maxPixelsInFlight: Int64 = 4_000_000_000
    public var maxVideoSecondsInFlight: Double = 12 * 3600
    /// Request bodies read and prepared at once (each may be `maxBodyBytes` on disk); beyond, a 429.
    public var maxBodiesInFlight = 64
    /// With `clientKeys`, pass the Files API through anyway (every client then sees the account's files).
    public var shareFilesAPI = false
    /// Files prepared at once (the cores shared among them).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Seconds a connection may take to send a request's head, and may stay silent inside a body
    /// or between requests.
    public var headerTimeout: Double = 10
    public var idleTimeout: Double = 60
    /// Seconds one upstream call may take (uploads get at least 900).
    public var upstreamTimeout: Double = 120
    /// Attempts per upstream call (rate limits, 5xx, dropped connections).
    public var retry = RetryPolicy()
    /// Where spooled and prepared media live while their request runs.
    public var workDirectory = FileManager.default.temporaryDirectory.path
    /// The upload cache (content hash → file id); the same media always gets the same `ms://` id.
    public var uploadCache = UploadCache()
    /// How images and videos are prepared (the CLI's defaults).
    public var preparer = Preparer()
    /// One JSON line per request on standard error.
    public var log = true

    public init(api: APIConfiguration) {
        self.api = api
    }

    /// Problems that keep the server from starting: a host beyond loopback without client keys,
    /// no upstream key, an allowed directory that is not one.
    public func problems() -> [String] {
        var found: [String] = []
        if !APIConfiguration.isLoopback(host.lowercased()) && (clientKeys ?? []).isEmpty {
            found.append("--host \(host) reaches beyond this machine: give --client-keys FILE (the bearer keys clients must send)")
        }
        if api.apiKey == nil { found.append("no upstream key: set MOONSHOT_API_KEY or pass --api-key-file") }
        for dir in allowedDirectories {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) || !isDir.boolValue {
                found.append("--allow-dir \(dir) is not a directory")
            }
        }
        if !(0...65535).contains(port) { found.append("--port \(port) is not a port number") }
        if jobs < 1 { found.append("--jobs must be at least 1") }
        if queueTimeout < 0 { found.append("--queue-timeout must not be negative") }
        return found
    }

    /// Reads a client-keys file: one key a line; blank lines and `#` comments skipped.
    public static func clientKeys(file: String) throws -> Set<String> {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let keys = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(file) holds no key"]) }
        return Set(keys)
    }
}
