import Foundation
import KimiAPI
import MediaCore

/// How a batch runs beyond what each file needs.
public struct BatchOptions: Sendable {
    public var shard: Shard?
    /// Skip inputs that already have a completed line (same content, same options: ``Preparer/outputIdentity``).
    public var resume: Bool
    /// Walk hidden files and folders too.
    public var hidden: Bool
    /// Glob filters for files found in folders (``InputWalker/WalkOptions``).
    public var include: [String] = []
    public var exclude: [String] = []
    /// Checked before each input starts: once true, no new input starts, the ones in flight finish.
    public var shouldStop: @Sendable () -> Bool
    /// The request-body limit the payload decision in each line is made against.
    public var bodyLimit: Int64
    /// Asks the API for the tokens of each prepared output (``RemoteItem``), in the file's own task;
    /// `nil`: offline only. A failure becomes a `remote-estimate-failed` diagnostic.
    public var remoteTokens: (@Sendable (RemoteItem) async throws -> Int)?
    /// Told, before work starts, how many inputs this run will prepare and how many it resumes.
    public var onPlanned: @Sendable (_ toDo: Int, _ resumed: Int) -> Void = { _, _ in }
    /// `--budget-total`: the tokens all inputs together may cost (every input of every shard). The
    /// inputs are probed first; images keep their cost and the videos share the rest by weight
    /// (``VideoBudget/shares(total:fixed:videos:)``), each share then a video's budget (with
    /// ``VideoOptions/budget`` as a cap when set).
    public var budgetTotal: Int?
    /// Wall-clock seconds one input may take (probe, decode, encode); past it the file is abandoned
    /// (``OffPool/detached(timeout:grace:_:)``), its line an error with code `timeout`, and the batch
    /// goes on. `nil` or 0: no limit. Default 1,800 s — far beyond any honest file (an hour of 4K
    /// re-encoded on two cores is under that), short of a batch that never ends.
    public var fileTimeout: Double? = 1800
    /// Called with each file's path on the file's own thread, after its identity (size, time) was
    /// taken and before its work begins, inside its time budget: what a caller can learn or hold
    /// there (tests hold a file to change it meanwhile, or to stand for a decoder stuck in C code).
    public var beforeFile: (@Sendable (String) -> Void)?

    public init(shard: Shard? = nil, resume: Bool = true, hidden: Bool = false,
                bodyLimit: Int64 = APILimits.default.maxRequestBodyBytes, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.shard = shard
        self.resume = resume
        self.hidden = hidden
        self.bodyLimit = bodyLimit
        self.shouldStop = shouldStop
    }
}

/// One prepared output to count remotely: an image's bytes, or a video file.
public struct RemoteItem: Sendable {
    public var kind: MediaKind
    public var format: MediaFormat
    public var bytes: [UInt8]?
    public var path: String?
}

/// What a batch run did.
public struct BatchResult: Sendable {
    /// Totals over this shard's lines: those written by this run and those resumed.
    public var summary: BatchSummary
    /// Lines this run wrote.
    public var written: Int
    /// Inputs skipped because a completed line already covered them (resume).
    public var resumed: Int
    /// Inputs of this shard in all.
    public var total: Int
    /// Stopped early (``BatchOptions/shouldStop``): rerun the same command to finish.
    public var interrupted: Bool
    public var manifestPath: String
    /// Image and video files among all the inputs (every shard's), whatever became of them: 0 means
    /// the paths held no media at all (a wrong folder), which a caller should say.
    public var mediaFound: Int = 0
}
