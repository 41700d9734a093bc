import Foundation

/// One of `count` deterministic partitions of the inputs (by a hash of each input's path), for
/// running a batch as several processes or machines: `--shard i/n`, a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX` with `--shards n`) or a Slurm array (`SLURM_ARRAY_TASK_ID`,
/// `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_MIN`).
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `i/n`, with 0 ≤ i < n.
    public init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    /// The shard the environment names, or `nil` when it names none; a clear error, never a silent
    /// unsharded run, when it names one wrongly.
    /// - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` of `shards` (which the Job's completions are;
    ///   required).
    /// - Slurm array: `SLURM_ARRAY_TASK_ID` of `shards` when given (the array must then be numbered
    ///   0..N−1, as `--array=0-7`: a resubmitted task, `--array=3`, is shard 3 as before). Without
    ///   `shards` the count is inferred only from a whole array starting at 0 with step 1
    ///   (`SLURM_ARRAY_TASK_MIN` 0, `…_STEP` 1, `…_COUNT` = `…_MAX` + 1); a partial, stepped or
    ///   one-task array needs `shards`.
    public static func fromEnvironment(_ environment: [String: String], shards: Int?) throws(ShardError) -> Shard? {
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        if let index = number("JOB_COMPLETION_INDEX") {
            guard let shards else { throw ShardError("JOB_COMPLETION_INDEX is \(index): pass --shards N, the Job's completions") }
            guard let shard = Shard(index: index, count: shards) else {
                throw ShardError("JOB_COMPLETION_INDEX \(index) is outside 0..<\(shards) (--shards \(shards))")
            }
            return shard
        }
        guard let id = number("SLURM_ARRAY_TASK_ID") else { return nil }
        if let shards {
            guard let shard = Shard(index: id, count: shards) else {
                throw ShardError("SLURM_ARRAY_TASK_ID \(id) is outside 0..<\(shards) (--shards \(shards)); number the array 0-\(shards - 1)")
            }
            return shard
        }
        let first = number("SLURM_ARRAY_TASK_MIN") ?? 0, last = number("SLURM_ARRAY_TASK_MAX") ?? id
        let step = number("SLURM_ARRAY_TASK_STEP") ?? 1, count = number("SLURM_ARRAY_TASK_COUNT") ?? (last - first + 1)
        guard first == 0, step == 1, count == last + 1, count > 1, let shard = Shard(index: id, count: count) else {
            throw ShardError("this Slurm array (tasks \(first)-\(last), step \(step), \(counted(count, "task"))) does not say how many shards "
                + "there are: pass --shards N (the whole array's size) so that task \(id) is shard \(id) of N")
        }
        return shard
    }

    /// Whether this shard takes `path` (FNV-1a of its bytes, modulo the count).
    public func contains(_ path: String) -> Bool {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }

    /// The manifest a shard writes: `manifest.shard-I-of-N.jsonl` (`kimi-media merge` joins them).
    public var manifestName: String { "manifest.shard-\(index)-of-\(count).jsonl" }

    /// Written beside the shard's manifest when the shard has gone through all its inputs (failed
    /// ones included) and removed when it starts again: `kimi-media merge` tells a shard that was
    /// cancelled or killed halfway from one that finished.
    public var finishedMarkerName: String { "manifest.shard-\(index)-of-\(count).done" }
}

/// Why the environment's shard cannot be used (a partial or stepped array, an index out of range).
public struct ShardError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
