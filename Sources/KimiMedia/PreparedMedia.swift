import Foundation
import KimiAPI
import MediaCore

/// One input made ready for a Kimi request — the one result of the per-file engine, for the library
/// and the batch alike (the batch's manifest line is made from it): an image's bytes (in memory),
/// or a video's file (an H.264 MP4 inside 2048×1080, or the original when it already is one) and
/// its frames, with the plan they came from and the offline token estimate. ``RequestBuilder``
/// turns a list of them into a chat request, deciding inline or upload for all of them together by
/// the exact body size (``PayloadPlanner``).
public struct PreparedMedia: Sendable {
    /// What is sent: an image's bytes in memory, or a video file on disk.
    public enum Payload: Sendable {
        /// An image's encoded bytes.
        case image([UInt8])
        /// A video file on disk (inside ``workFolder``, or the original).
        case video(path: String)
    }

    /// Where one part of a split video lies in its source (seconds from the stream's start).
    public struct Segment: Sendable, Codable, Hashable {
        /// 1-based, of `count`.
        public var index: Int
        public var count: Int
        public var startSeconds: Double
        public var endSeconds: Double

        public init(index: Int, count: Int, startSeconds: Double, endSeconds: Double) {
            self.index = index
            self.count = count
            self.startSeconds = startSeconds
            self.endSeconds = endSeconds
        }
    }

    /// The input's path, or the name given with its bytes.
    public var source: String
    /// What the probe found in the input.
    public var info: MediaInfo
    /// What was planned for it: the sizes, the frames, the video file (with its parts' cuts as made).
    public var plan: MediaPlan
    /// What is sent: format, upright size and bytes.
    public var format: MediaFormat
    public var width: Int
    public var height: Int
    public var bytes: Int64
    public var payload: Payload
    /// The original's bytes are what is sent (an image or a video the API takes as it is).
    public var passthrough: Bool
    /// Video frames written to the work folder (per ``VideoOptions/frames``).
    public var frames: [PreparedFrame]
    /// Offline tokens of the part: ``TokenEstimate/mediaTokens`` plus ``TokenEstimate/wrapperTokens``
    /// (`nil` for a video whose frame count is unknown).
    public var estimate: TokenEstimate?
    public var diagnostics: [Diagnostic]
    /// The owner of the folder holding this input's written files.
    var folder: WorkFolder?
    /// A video split by ``VideoOptions/segments``: its parts, in order, each sent in a request of
    /// its own (``RequestBuilder/build(prompt:system:media:)`` with one part). The split video's
    /// own ``payload``, ``bytes`` and ``estimate`` are its first part's. Empty when not split.
    public var parts: [PreparedMedia] = []
    /// For a part: where it lies in its source.
    public var segment: Segment?
    /// An image cut into tiles (`ImageOptions.tiles`, ``TilePlan``): the tiles in reading order,
    /// all sent in one request, each after a caption naming its place
    /// (``RequestBuilder/build(prompt:system:media:)``). The tiled image's own ``payload``,
    /// ``bytes`` and ``estimate`` are its first tile's. Empty when sent whole.
    public var tiles: [PreparedMedia] = []
    /// For a tile: its box in the image and its tokens.
    public var tile: ImageTile?

    init(source: String, info: MediaInfo, plan: MediaPlan, format: MediaFormat, width: Int, height: Int, bytes: Int64, payload: Payload,
         passthrough: Bool, frames: [PreparedFrame] = [], estimate: TokenEstimate?, diagnostics: [Diagnostic] = [], folder: WorkFolder? = nil,
         segment: Segment? = nil) {
        self.source = source
        self.info = info
        self.plan = plan
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
        self.payload = payload
        self.passthrough = passthrough
        self.frames = frames
        self.estimate = estimate
        self.diagnostics = diagnostics
        self.folder = folder
        self.segment = segment
    }

    public var kind: MediaKind { info.kind }

    /// The folder holding this input's written files (frames, video); `nil` when nothing was written
    /// (an image is held in memory). The library owns it: it is removed with the last copy of this
    /// value (and of its ``parts``), or at once by ``removeFiles()``; ``keepFiles()`` hands it to you.
    public var workFolder: String? { folder?.path }

    /// Offline tokens of everything the input sends: a split video's parts together, else its own.
    public var totalTokens: Int? {
        let pieces = parts.isEmpty ? tiles : parts
        return pieces.isEmpty ? estimate?.tokens : pieces.reduce(0) { $0 + ($1.estimate?.tokens ?? 0) }
    }

    /// What is sent of it in one request: its tiles (each with its caption), or itself.
    public var sent: [PreparedMedia] { tiles.isEmpty ? [self] : tiles }

    /// A tile's caption: "(part 2 of 5 of IMG_0042.png, top to bottom)".
    var caption: String? {
        guard let tile, tile.count > 1 else { return nil }
        return "(part \(tile.index) of \(tile.count) of \(URL(fileURLWithPath: source).lastPathComponent), \(tile.direction.rawValue))"
    }

    /// Whether `path` is a file written into this input's ``workFolder`` (not the original sent
    /// from where it is).
    func isWrittenFile(_ path: String) -> Bool { workFolder.map { path.hasPrefix($0 + "/") } ?? false }

    /// Removes the files written for this input now (its ``workFolder``, shared by its ``parts``
    /// and every copy of this value), instead of when the last copy is gone. Its ``payload`` and
    /// ``frames`` paths are then gone too.
    public func removeFiles() { folder?.remove() }

    /// Keeps the files written for this input after this value is gone: the folder is yours to
    /// move or remove. Returns its path (`nil` when nothing was written).
    @discardableResult
    public func keepFiles() -> String? { folder?.keep() }

    /// The planner's view of this item, without a file for an image held in memory.
    var payloadItem: PayloadItem {
        switch payload {
        case .image: PayloadItem(path: "", format: format, bytes: bytes, tokens: estimate?.tokens, caption: caption)
        case .video(let file): PayloadItem(path: file, format: format, bytes: bytes, tokens: estimate?.tokens)
        }
    }

    /// ``payloadItem(storingImageAs:)`` of everything sent of it (``sent``): a tiled image's tiles
    /// stored as `base-1`, `base-2`, … each with its caption.
    public func payloadItems(storingImagesAs base: String) throws(KimiMediaError) -> [PayloadItem] {
        guard !tiles.isEmpty else { return [try payloadItem(storingImageAs: base)] }
        var items: [PayloadItem] = []
        for tile in tiles { items.append(try tile.payloadItem(storingImageAs: base + "-\(tile.tile?.index ?? items.count + 1)")) }
        return items
    }

    /// The planner's item for this media, for a request body written to disk
    /// (``RequestBuilder/build(prompt:system:items:to:)`` streams each item from its file): an image's
    /// bytes are written (atomically) to `base` plus its format's extension first.
    public func payloadItem(storingImageAs base: String) throws(KimiMediaError) -> PayloadItem {
        guard case .image(let data) = payload else { return payloadItem }
        let path = base + "." + format.fileExtension
        do throws(MediaError) { try AtomicFile.write(data, to: path) } catch { throw .media(error) }
        var item = payloadItem
        item.path = path
        return item
    }
}

/// A frame taken out of a video and written: where, when it is, its size and cost. The one frame
/// type of the library and the manifest (whose frame outputs are made from it).
public struct PreparedFrame: Sendable, Hashable {
    public var path: String
    /// Presentation time in seconds from the start.
    public var seconds: Double
    public var keyframe: Bool
    public var width: Int
    public var height: Int
    public var bytes: Int
    /// Prompt tokens of the frame sent as an image.
    public var tokens: Int
}

/// One result of ``Preparer/prepare(_:jobs:workFolder:)``: the input and what became of it.
public struct PreparedResult: Sendable {
    public var url: URL
    public var result: Result<PreparedMedia, KimiMediaError>
}
