// Qwen3VL: the tokenizer as the engine sees it.

/// Text ↔ token ids. The engine needs only this; the real implementation (tokenizer.json byte-level BPE
/// and the chat template) lives in the `Tokenization` target and is chosen by the command line, so
/// tests can substitute a fake and `--ids` needs no tokenizer files at all.
public protocol TokenEncoding {
    /// Ids of `text`, special tokens such as `<|im_start|>` matched as whole strings.
    func encode(_ text: String) throws -> [Int]
    /// Text of `ids`.
    func decode(_ ids: [Int]) -> String
}
