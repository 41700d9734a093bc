import ArgumentParser
import KimiMedia

/// The videos' token budgets: one declaration for `prepare`, `request` and `estimate`, checked by
/// one ``validate()`` (ranges, and what excludes what); the library checks them again when the
/// options are made.
struct BudgetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Each video file at most N prompt tokens: its frame rate (down to 0.5 fps), then size (down to a 280 px short side), then length are chosen to fit, as close to N as the model's arithmetic allows.",
                               valueName: "N"))
    var budget: Int?

    @Option(help: ArgumentHelp("With --budget or --budget-total: leave this lever alone (repeatable).", valueName: "fps|size|duration"))
    var keep: [BudgetLever] = []

    @Option(help: ArgumentHelp("All inputs together at most N prompt tokens (every shard's; for request, the whole request with its text): images keep their cost, the videos share the rest in proportion to their own cost, each share then that video's --budget (--budget, if given, caps it).",
                               valueName: "N"))
    var budgetTotal: Int?

    @Option(help: ArgumentHelp("Split a video into consecutive parts (part-001.mp4, …), each within --budget (or the context less 32,768 tokens): auto (parts as long as the budget allows; rate and size kept) or a length (90s, 10m, 1h); cut on keyframes when the packets can be copied, exactly when re-encoded.",
                               valueName: "auto|DURATION"))
    var segments: SegmentRequest?

    /// Every option at its default (``CommonCommandLine``).
    static var defaults: BudgetOptions {
        var options = BudgetOptions()
        options.budget = nil
        options.keep = []
        options.budgetTotal = nil
        options.segments = nil
        return options
    }

    func validate() throws {
        if let budget, budget < 1 { throw ValidationError("--budget must be at least 1") }
        if let budgetTotal, budgetTotal < 1 { throw ValidationError("--budget-total must be at least 1") }
        if budgetTotal != nil && segments != nil {
            throw ValidationError("--budget-total and --segments exclude each other: segments fit each part to --budget, one request a part")
        }
        if !keep.isEmpty && budget == nil && budgetTotal == nil { throw ValidationError("--keep needs --budget or --budget-total") }
    }

    /// Whether any budget or split was asked for.
    var any: Bool { budget != nil || budgetTotal != nil || segments != nil }

    /// `options` with these budgets (a video's own share of `--budget-total` comes later, per file).
    func applied(to options: VideoOptions) -> VideoOptions {
        var options = options
        options.budget = budget
        options.keep = Set(keep)
        options.segments = segments
        return options
    }

    /// A video's budget once its share of `--budget-total` is known: the share, capped by `--budget`.
    func budget(share: Int?) -> Int? {
        guard let share else { return budget }
        return min(share, budget ?? share)
    }
}
