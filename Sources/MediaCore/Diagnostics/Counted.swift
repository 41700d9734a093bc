/// "1 frame", "3 frames": a count with its noun in the right number, for messages.
/// `plural` for nouns that do not take an "s" ("1 entry", "2 entries").
public func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
}
