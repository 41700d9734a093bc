import Foundation
import MediaCore

/// Remembers which file id holds which bytes, so the same content is never uploaded twice: keyed by
/// SHA-256 of the content, the base URL and the key's fingerprint (ids are per account and host).
/// Before reuse the id is checked with `GET /v1/files/{id}`; a missing one is forgotten and the file
/// uploaded again. Stored as JSON (no key in it), rewritten atomically.
public struct UploadCache: Sendable {
    /// One uploaded file: its id, the content's SHA-256 and size, where and with which key it went up.
    public struct Entry: Sendable, Hashable, Codable {
        public var id: String
        public var sha256: String
        public var bytes: Int64
        public var baseURL: String
        public var keyFingerprint: String
        public var purpose: String
        public var uploadedAt: Double
    }

    public let path: String

    /// `$XDG_CACHE_HOME/kimi-media/uploads.json`, else `~/.cache/kimi-media/uploads.json`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache"
        return base + "/kimi-media/uploads.json"
    }

    /// A relative `path` is taken from the current folder (and kept absolute, so a later change of
    /// folder does not move the cache).
    public init(path: String = UploadCache.defaultPath()) { self.path = URL(fileURLWithPath: path).standardizedFileURL.path }

    public func entries() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
    }

    public func lookup(sha256: String, configuration: APIConfiguration) -> Entry? {
        guard let key = configuration.apiKey else { return nil }
        return entries().last { $0.sha256 == sha256 && $0.baseURL == configuration.baseURL.absoluteString && $0.keyFingerprint == key.fingerprint }
    }

    public func record(_ entry: Entry) throws {
        try Self.lock.withLock {
            try save(entries().filter { !($0.sha256 == entry.sha256 && $0.baseURL == entry.baseURL && $0.keyFingerprint == entry.keyFingerprint) }
                + [entry])
        }
    }

    public func forget(id: String) throws { try Self.lock.withLock { try save(entries().filter { $0.id != id }) } }

    /// Read-modify-write of the file, one at a time in this process (uploads run side by side).
    private static let lock = NSLock()

    func save(_ entries: [Entry]) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(entries).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension MoonshotClient {
    /// Uploads `path` unless the cache knows a live file with the same content; returns the file
    /// and whether it was reused. A cached id the server refuses to show (any 4xx but a rate limit
    /// or an exhausted balance) is forgotten and the file uploaded again.
    /// The same content asked for again while its upload (or its cache check) runs — two requests of
    /// a gateway, duplicates in a batch — waits for it and shares its id.
    public func uploadOnce(path: String, purpose: FilePurpose, mimeType: String, cache: UploadCache) async throws(APIError) -> (FileObject, reused: Bool) {
        let endpoint = "POST /v1/files"
        let digest: String
        do { digest = try SHA256.hex(ofFile: path) } catch {
            throw APIError(.io, message: "cannot read \(path)", endpoint: endpoint)
        }
        let slot = [digest, configuration.baseURL.absoluteString, configuration.apiKey?.fingerprint ?? "", cache.path].joined(separator: " ")
        let client = self
        let outcome = await UploadsInFlight.shared.run(slot) { () async -> Result<(FileObject, Bool), APIError> in
            do throws(APIError) {
                return .success(try await client.uploadUnlessCached(path: path, digest: digest, purpose: purpose, mimeType: mimeType,
                                                                    cache: cache))
            } catch { return .failure(error) }
        }
        let (file, reused) = try outcome.result.get()
        return (file, reused || outcome.shared)
    }

    private func uploadUnlessCached(path: String, digest: String, purpose: FilePurpose, mimeType: String, cache: UploadCache)
        async throws(APIError) -> (FileObject, Bool) {
        if let known = cache.lookup(sha256: digest, configuration: configuration) {
            do {
                let file = try await file(id: known.id)
                return (file, true)
            } catch where error.status.map({ (400..<500).contains($0) && $0 != 429 }) ?? false && !error.isQuotaExhausted {
                // Gone, or not this key's to read (404, 400, …): upload
                // it again. A rate limit, a 5xx or an empty balance would fail the upload the same way.
                try? cache.forget(id: known.id)
            }
        }
        let file = try await upload(path: path, purpose: purpose, mimeType: mimeType)
        let size = FileSize.of(path) ?? file.bytes ?? 0
        if let key = configuration.apiKey {
            do {
                try cache.record(UploadCache.Entry(id: file.id, sha256: digest, bytes: size, baseURL: configuration.baseURL.absoluteString,
                                                   keyFingerprint: key.fingerprint, purpose: purpose.rawValue,
                                                   uploadedAt: Date().timeIntervalSince1970))
            } catch {
                // The upload stands; only its reuse is lost. Said, not swallowed: every later run
                // would upload the same bytes again.
                onWait?("warning: cannot save the upload cache \(cache.path): \(error.localizedDescription); "
                    + "\(file.id) was uploaded but will not be reused")
            }
        }
        return (file, false)
    }
}

/// Uploads running in this process, by content (and account and cache): one upload per content at
/// a time, its id shared with whoever asked meanwhile.
actor UploadsInFlight {
    static let shared = UploadsInFlight()

    private typealias Upload = Task<Result<(FileObject, Bool), APIError>, Never>
    private var running: [String: (task: Upload, waiters: Int)] = [:]

    /// Runs `work` for `slot`, or waits for the run already under way (`shared`: this caller's
    /// answer came from another's upload). The run is cancelled when every caller waiting for it is.
    func run(_ slot: String, _ work: @escaping @Sendable () async -> Result<(FileObject, Bool), APIError>)
        async -> (result: Result<(FileObject, Bool), APIError>, shared: Bool) {
        let task: Upload, shared: Bool
        if let entry = running[slot] {
            (task, shared) = (entry.task, true)
            running[slot]?.waiters += 1
        } else {
            (task, shared) = (Task { await work() }, false)
            running[slot] = (task, 1)
        }
        let result = await withTaskCancellationHandler { await task.value } onCancel: { Task { await self.leave(slot, task) } }
        if running[slot]?.task == task { running[slot] = nil }
        return (result, shared)
    }

    private func leave(_ slot: String, _ task: Upload) {
        guard let entry = running[slot], entry.task == task else { return }
        if entry.waiters <= 1 {
            task.cancel()
            running[slot] = nil
        } else {
            running[slot]?.waiters -= 1
        }
    }
}

extension ContentPart {
    /// The `image_url` / `video_url` part carrying `bytes` inline as `data:<mime>;base64,…`.
    public static func inline(_ bytes: Data, kind: MediaKind, format: MediaFormat) -> ContentPart {
        let url = "data:\(format.mimeType);base64," + bytes.base64EncodedString()
        return kind == .video ? .videoURL(url) : .imageURL(url)
    }
}
