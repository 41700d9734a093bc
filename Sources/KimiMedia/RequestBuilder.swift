import Foundation
import KimiAPI
import MediaCore

/// Why a request could not be built.
public struct RequestBuildError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var violations: [RequestViolation]
    public init(_ message: String, violations: [RequestViolation] = []) {
        self.message = message
        self.violations = violations
    }

    public var description: String {
        ([message] + violations.map { "  - \($0)" }).joined(separator: "\n")
    }
}

/// A request body written to disk, with what went into it.
public struct BuiltRequest: Sendable {
    public var plan: PayloadPlan
    /// File ids of uploaded items, by item index, and whether each was reused from the cache.
    public var uploads: [Int: FileObject]
    public var reused: Set<Int>
    public var bodyPath: String
    public var bodyBytes: Int64
    /// Offline prompt tokens of the request (``RequestTokens``).
    public var tokens: Int
}

/// A request built in memory for prepared media, with what went into it.
public struct PlannedRequest: Sendable {
    /// The request, inline media as data URLs, uploads as `ms://` ids: pass it to `client.chat`.
    public var request: ChatRequest
    public var plan: PayloadPlan
    /// File ids of uploaded items, by item index, and whether each was reused from the cache.
    public var uploads: [Int: FileObject]
    public var reused: Set<Int>
    /// Offline prompt tokens of the request (``RequestTokens``).
    public var tokens: Int
}

/// Builds a K2.6 chat request from text and prepared media. The payload planner
/// (``PayloadPlanner``) alone decides inline or upload, for all items together, by the exact body
/// size; uploads go through the Files API once per content (``UploadCache``). In memory for the
/// library (``build(prompt:system:media:)``), or written to disk with each inline item's base64
/// streamed in (``build(prompt:system:items:to:)``, the CLI's `request`).
public struct RequestBuilder: Sendable {
    public var planner: PayloadPlanner
    public var client: MoonshotClient?
    public var cache: UploadCache

    public init(planner: PayloadPlanner = PayloadPlanner(), client: MoonshotClient? = nil, cache: UploadCache = UploadCache()) {
        self.planner = planner
        self.client = client
        self.cache = cache
    }

    /// The request for `media`, in memory (a body near the 100 MB limit is held whole: for larger
    /// batches write it with ``build(prompt:system:items:to:)``).
    public func build(prompt: String?, system: String? = nil, media: [PreparedMedia]) async throws(KimiMediaError) -> PlannedRequest {
        let media = media.flatMap(\.sent)  // a tiled image: its tiles, in order, each after its caption
        let items = media.map(\.payloadItem)
        let (plan, uploads, reused) = try await decide(prompt: prompt, system: system, items: items) { i throws(KimiMediaError) in
            guard case .image(let bytes) = media[i].payload else { return (items[i].path, {}) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-upload-\(UUID().uuidString).\(media[i].format.fileExtension)").path
            do throws(MediaError) { try AtomicFile.write(bytes, to: path) } catch { throw .media(error) }
            return (path, { try? FileManager.default.removeItem(atPath: path) })
        }
        var request = planner.request(prompt: prompt, system: system, items: items, deliveries: plan.entries.map(\.delivery),
                                      uploads: uploads.mapValues(\.id))
        var inline: [Int: String] = [:]
        for (i, entry) in plan.entries.enumerated() where entry.delivery == .inline {
            let data: Data
            switch media[i].payload {
            case .image(let bytes): data = Data(bytes)
            case .video(let path):
                guard let read = FileManager.default.contents(atPath: path) else {
                    throw .media(MediaError(.io, path: path, stage: .read, "cannot read the prepared video"))
                }
                data = read
            }
            inline[i] = "data:\(media[i].format.mimeType);base64," + data.base64EncodedString()
        }
        request = planner.filling(request, inline: inline)
        return PlannedRequest(request: request, plan: plan, uploads: uploads, reused: reused, tokens: tokens(of: request, items: items))
    }

    /// The request for `items` (files on disk), written to `bodyPath`.
    public func build(prompt: String?, system: String? = nil, items: [PayloadItem], to bodyPath: String) async throws(KimiMediaError) -> BuiltRequest {
        let (plan, uploads, reused) = try await decide(prompt: prompt, system: system, items: items) { i throws(KimiMediaError) in (items[i].path, {}) }
        let final = planner.request(prompt: prompt, system: system, items: items, deliveries: plan.entries.map(\.delivery),
                                    uploads: uploads.mapValues(\.id))
        let written: Int64
        do { written = try RequestBodyWriter.write(final, items: items, deliveries: plan.entries.map(\.delivery), to: bodyPath) } catch {
            throw .media(MediaError(.io, path: bodyPath, stage: .write, "cannot write the request body: \(error.localizedDescription)"))
        }
        return BuiltRequest(plan: plan, uploads: uploads, reused: reused, bodyPath: bodyPath, bodyBytes: written,
                            tokens: tokens(of: final, items: items))
    }

    /// A body of the caller's own shape (the gateway's: the JSON a client sent, its media prepared):
    /// `skeleton(deliveries, uploads)` is that body with each inline item's URL as its quoted
    /// ``PayloadPlanner/placeholder(_:)`` and each upload's as ``PayloadPlanner/reference(_:)``. The
    /// same one decision — the planner's plan, the limit, uploads through the cache — then the body
    /// written to `bodyPath` with each inline item streamed from its file. `tokens` is the items' own.
    public func build(items: [PayloadItem], to bodyPath: String,
                      skeleton: @escaping ([PayloadPlan.Delivery], [Int: String]) throws -> Data) async throws(KimiMediaError) -> BuiltRequest {
        let (plan, uploads, reused) = try await decide(items: items, skeleton: skeleton, violations: { _ in [] }) { i throws(KimiMediaError) in
            (items[i].path, {})
        }
        let written: Int64
        do {
            let body = try skeleton(plan.entries.map(\.delivery), uploads.mapValues(\.id))
            written = try RequestBodyWriter.write(skeleton: body, items: items, deliveries: plan.entries.map(\.delivery), to: bodyPath)
        } catch {
            throw .media(MediaError(.io, path: bodyPath, stage: .write, "cannot write the request body: \(error.localizedDescription)"))
        }
        return BuiltRequest(plan: plan, uploads: uploads, reused: reused, bodyPath: bodyPath, bodyBytes: written,
                            tokens: items.compactMap(\.tokens).reduce(0, +))
    }

    /// The content part of one item sent alone (a remote estimate, a manifest's remote count): inline
    /// or uploaded as the planner decides for a one-item request. `bytes`: the item's content when it
    /// is in memory (an image not written anywhere).
    public func part(for item: PayloadItem, bytes: [UInt8]? = nil) async throws(KimiMediaError) -> ContentPart {
        let (plan, uploads, _) = try await decide(prompt: nil, system: nil, items: [item]) { _ throws(KimiMediaError) in
            guard let bytes else { return (item.path, {}) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-upload-\(UUID().uuidString).\(item.format.fileExtension)").path
            do throws(MediaError) { try AtomicFile.write(bytes, to: path) } catch { throw .media(error) }
            return (path, { try? FileManager.default.removeItem(atPath: path) })
        }
        if let file = uploads[0] { return item.kind == .video ? .videoURL(file.reference) : .imageURL(file.reference) }
        guard plan.entries.first?.delivery == .inline else { throw .request(RequestBuildError("\(item.path) was neither inline nor uploaded")) }
        guard let data = bytes.map({ Data($0) }) ?? FileManager.default.contents(atPath: item.path) else {
            throw .media(MediaError(.io, path: item.path, stage: .read, "cannot read the file"))
        }
        return .inline(data, kind: item.kind, format: item.format)
    }

    /// Media parts are the items, in order: their own counts, plus the messages' text and template tokens.
    func tokens(of request: ChatRequest, items: [PayloadItem]) -> Int {
        RequestTokens.count(request.messages) { _ in 0 } + items.compactMap(\.tokens).reduce(0, +)
    }

    /// The one decision: the planner's plan, checked against the API's rules and the limit; the
    /// items it sends up uploaded (`file(i)` gives the path to upload and what to clean up after),
    /// then the plan again with the real ids.
    func decide(prompt: String?, system: String?, items: [PayloadItem],
                file: (Int) throws(KimiMediaError) -> (path: String, cleanup: () -> Void))
        async throws(KimiMediaError) -> (PayloadPlan, [Int: FileObject], Set<Int>) {
        let planner = planner
        return try await decide(items: items, skeleton: { deliveries, uploads in
            try planner.request(prompt: prompt, system: system, items: items, deliveries: deliveries, uploads: uploads).body()
        }, violations: { deliveries in
            // Placeholders stand for the URLs.
            planner.request(prompt: prompt, system: system, items: items, deliveries: deliveries).violations()
                .filter { !$0.field.hasSuffix("_url.url") }
        }, file: file)
    }

    /// ``decide(prompt:system:items:file:)`` for any body (see ``build(items:to:skeleton:)``).
    func decide(items: [PayloadItem], skeleton: ([PayloadPlan.Delivery], [Int: String]) throws -> Data,
                violations rules: ([PayloadPlan.Delivery]) -> [RequestViolation],
                file: (Int) throws(KimiMediaError) -> (path: String, cleanup: () -> Void))
        async throws(KimiMediaError) -> (PayloadPlan, [Int: FileObject], Set<Int>) {
        var plan: PayloadPlan
        do { plan = try planner.plan(items: items, skeleton: skeleton) } catch {
            throw .request(RequestBuildError("cannot plan the request: \(error)"))
        }
        let deliveries = plan.entries.map(\.delivery)
        let violations = rules(deliveries)
        guard violations.isEmpty else { throw .request(RequestBuildError("the request breaks rules of the API", violations: violations)) }
        if plan.bodyBytes > plan.limit {
            throw .request(RequestBuildError("the request body would be \(plan.bodyBytes) bytes, over the limit of \(plan.limit)"
                + (planner.mode == .inlineOnly ? " with every item inline (allow uploads)" : "")))
        }
        var uploads: [Int: FileObject] = [:]
        var reused: Set<Int> = []
        let needed = deliveries.indices.filter { deliveries[$0] == .upload }
        if planner.mode == .inlineOnly, let video = needed.first {
            throw .request(RequestBuildError("\(items[video].path) is a \(items[video].format.rawValue) video, which the API takes inline only as MP4: "
                + "allow uploads, or prepare it as MP4"))
        }
        guard !needed.isEmpty else { return (plan, uploads, reused) }
        guard let client else {
            throw .request(RequestBuildError("\(counted(needed.count, "item")) must be uploaded (Files API), which needs a client with an API key"))
        }
        for i in needed {
            let item = items[i]
            let (path, cleanup) = try file(i)
            defer { cleanup() }
            do throws(APIError) {
                let (uploaded, wasReused) = try await client.uploadOnce(path: path, purpose: item.kind == .video ? .video : .image,
                                                                        mimeType: item.format.mimeType, cache: cache)
                uploads[i] = uploaded
                if wasReused { reused.insert(i) }
            } catch { throw .api(error) }
        }
        do { plan = try planner.plan(items: items, uploads: uploads.mapValues(\.id), skeleton: skeleton) } catch {
            throw .request(RequestBuildError("cannot plan the request: \(error)"))
        }
        return (plan, uploads, reused)
    }
}
