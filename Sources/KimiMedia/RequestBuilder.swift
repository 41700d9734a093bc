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

/// Builds a K2.6 chat request from text and prepared media: the payload planner decides inline or
/// upload per item by the exact body size; uploads go through the Files API once per content
/// (``UploadCache``); the body is written to disk with each inline item's base64 streamed in.
public struct RequestBuilder: Sendable {
    public var planner: PayloadPlanner
    public var client: MoonshotClient?
    public var cache: UploadCache

    public init(planner: PayloadPlanner = PayloadPlanner(), client: MoonshotClient? = nil, cache: UploadCache = UploadCache()) {
        self.planner = planner
        self.client = client
        self.cache = cache
    }

    public func build(prompt: String?, system: String? = nil, items: [PayloadItem], to bodyPath: String) async throws -> BuiltRequest {
        var plan = try planner.plan(prompt: prompt, system: system, items: items)
        let deliveries = plan.entries.map(\.delivery)
        let skeleton = planner.request(prompt: prompt, system: system, items: items, deliveries: deliveries)
        let violations = skeleton.violations().filter { !$0.field.hasSuffix("_url.url") }  // placeholders stand for the URLs
        guard violations.isEmpty else { throw RequestBuildError("the request breaks rules of the API", violations: violations) }
        if plan.bodyBytes > plan.limit {
            throw RequestBuildError("the request body would be \(plan.bodyBytes) bytes, over the limit of \(plan.limit)"
                + (planner.mode == .inlineOnly ? "; drop --inline-only to upload the largest items" : ""))
        }
        var uploads: [Int: FileObject] = [:]
        var reused: Set<Int> = []
        let needed = deliveries.indices.filter { deliveries[$0] == .upload }
        if planner.mode == .inlineOnly, let video = needed.first {
            throw RequestBuildError("\(items[video].path) is a \(items[video].format.rawValue) video, which the API takes inline only as MP4: "
                + "upload it (drop --inline-only) or prepare it as MP4")
        }
        if !needed.isEmpty {
            guard let client else {
                throw RequestBuildError("\(needed.count) item(s) must be uploaded (Files API): set MOONSHOT_API_KEY (or --api-key-file), "
                    + "or use --inline-only if the body may exceed the limit")
            }
            for i in needed {
                let item = items[i]
                let (file, wasReused) = try await client.uploadOnce(path: item.path, purpose: item.kind == .video ? .video : .image,
                                                                    mimeType: item.format.mimeType, cache: cache)
                uploads[i] = file
                if wasReused { reused.insert(i) }
            }
            plan = try planner.plan(prompt: prompt, system: system, items: items, uploads: uploads.mapValues(\.id))
        }
        let final = planner.request(prompt: prompt, system: system, items: items, deliveries: plan.entries.map(\.delivery),
                                    uploads: uploads.mapValues(\.id))
        let written = try RequestBodyWriter.write(final, items: items, deliveries: plan.entries.map(\.delivery), to: bodyPath)
        // Media parts are the items, in order: their own counts, plus the messages' text and template tokens.
        let tokens = RequestTokens.count(final.messages) { _ in 0 } + items.compactMap(\.tokens).reduce(0, +)
        return BuiltRequest(plan: plan, uploads: uploads, reused: reused, bodyPath: bodyPath, bodyBytes: written, tokens: tokens)
    }
}
