/// The stage of the media pipeline where something happened (design.md §1).
public enum PipelineStage: String, Sendable, Codable, Hashable {
    case read, probe, plan, decode, resize, encode, write, payload, estimate
}
