/// The stage of the media pipeline where something happened (each one: docs/architecture.md, "The stages").
public enum PipelineStage: String, Sendable, Codable, Hashable {
    case read, probe, plan, decode, resize, encode, write, payload, estimate
}
