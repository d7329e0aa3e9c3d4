#!/usr/bin/python3
"""Golden safetensors fixtures for @walkjump/tensor's reader and writer.

Debian 12 has no `python3-safetensors`, so this script carries a small writer and reader that
follow the format spec (huggingface/safetensors README) and the reference Rust implementation's
layout rules (safetensors/src/tensor.rs `prepare`): 8-byte little-endian u64 header length N, then
N bytes of compact JSON ({"__metadata__": {...}, name: {dtype, shape, data_offsets}}) padded with
spaces to a multiple of 8, then the little-endian data buffer, tensors laid out by descending
dtype (Rust `Dtype` enum order) and then by name (UTF-8 bytes), `__metadata__` first. The writer is
checked against the byte vectors of the reference's own unit tests (`test_serialization`,
`test_empty`) before anything is written. Tensor values come from PyTorch.

Writes, next to the tests (packages/tensor/src/io/fixtures/):
  torch.safetensors      tensors of many dtypes made by torch; torch.expected.json their values
  reference.safetensors  the file our TypeScript writer must reproduce byte for byte
and, when called with --verify, reads ours.safetensors (written by our TypeScript writer) with the
spec reader into torch, checks every value and writes ours.verify.txt.

Run: /usr/bin/python3 tooling/reference/safetensors_fixture.py [--verify]
"""
import json
import struct
import sys
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "packages" / "tensor" / "src" / "io" / "fixtures"

DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
TORCH_TO_ST = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.int32: "I32", torch.float32: "F32", torch.float64: "F64", torch.int64: "I64",
}
ST_TO_TORCH = {v: k for k, v in TORCH_TO_ST.items()}
SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "F16": 2, "BF16": 2, "I32": 4, "F32": 4, "F64": 8, "I64": 8}


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def serialize(tensors: dict, metadata: dict | None = None) -> bytes:
    order = sorted(tensors.items(), key=lambda kv: (-DTYPES.index(TORCH_TO_ST[kv[1].dtype]), kv[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    chunks, offset = [], 0
    for name, t in order:
        data = tensor_bytes(t)
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(chunks)


def parse(buf: bytes) -> tuple[dict, dict]:
    (n,) = struct.unpack("<Q", buf[:8])
    assert 8 + n <= len(buf), "header runs past the file"
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    data = buf[8 + n :]
    metadata = header.pop("__metadata__", {})
    out, pos = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        assert b == pos and e >= b, f"{name}: offsets {b},{e} not contiguous (at {pos})"
        numel = 1
        for s in info["shape"]:
            numel *= s
        assert e - b == numel * SIZE[info["dtype"]], f"{name}: byte length mismatch"
        dtype = ST_TO_TORCH[info["dtype"]]
        chunk = bytearray(data[b:e])
        if info["dtype"] == "BF16":
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16) if numel else torch.zeros(0, dtype=dtype)
        else:
            t = torch.frombuffer(chunk, dtype=dtype) if numel else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
        pos = e
    assert pos == len(data), "tensors do not cover the data buffer"
    return out, metadata


def self_check() -> None:
    # Byte vectors from huggingface/safetensors safetensors/src/tensor.rs unit tests.
    t = torch.arange(6, dtype=torch.float32).reshape(1, 2, 3)
    want = bytes([64, 0, 0, 0, 0, 0, 0, 0]) + b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}' + t.numpy().tobytes()
    assert serialize({"attn.0": t}) == want, "writer disagrees with reference test_serialization"
    want_meta = bytes([40, 0, 0, 0, 0, 0, 0, 0]) + b'{"__metadata__":{"framework":"pt"}}' + b" " * 5
    assert serialize({}, {"framework": "pt"}) == want_meta, "writer disagrees with reference test_empty"
    assert serialize({}) == bytes([8, 0, 0, 0, 0, 0, 0, 0]) + b"{}      "


def torch_fixture() -> dict:
    return {
        "f32": (torch.arange(6, dtype=torch.float32).reshape(2, 3) / 8 - 0.3),
        "f64": torch.tensor([1 / 3, -2.5, 1e-300, 1e10], dtype=torch.float64),
        "i32": torch.tensor([[-(2**31), 0], [7, 2**31 - 1]], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 127, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, 5], dtype=torch.int8),
        "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
        "i64": torch.tensor([-5, 2**31 - 1], dtype=torch.int64),
        "f16": torch.tensor([1.5, -0.0001, 65504, 2**-24], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -3.25, 1e30], dtype=torch.bfloat16),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "layers.0.w": torch.linspace(-1, 1, 12, dtype=torch.float32).reshape(3, 4),
    }


def reference_fixture() -> tuple[dict, dict]:
    tensors = {
        "b": torch.tensor([[1.0, -2.0], [0.5, 3.25]], dtype=torch.float32),
        "a": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float32),
        "count": torch.tensor([3, -1, 2**31 - 1], dtype=torch.int32),
        "mask": torch.tensor([[True, False, False]]),
        "zeta": torch.tensor(0.1, dtype=torch.float32),
        "é.name": torch.tensor([7], dtype=torch.int32),
    }
    return tensors, {"format": "pt"}


def values(t: torch.Tensor):
    if t.dtype == torch.bool:
        return [bool(v) for v in t.flatten().tolist()]
    return [float(v) if t.is_floating_point() else int(v) for v in t.to(torch.float64 if t.is_floating_point() else torch.int64).flatten().tolist()]


def main() -> None:
    self_check()
    OUT.mkdir(parents=True, exist_ok=True)
    if "--verify" in sys.argv:
        ours, meta = parse((OUT / "ours.safetensors").read_bytes())
        want = {
            "weights": torch.tensor([[0.25, -1.5, 3.0], [1e-3, 0.0, -0.0]], dtype=torch.float32),
            "steps": torch.tensor([1, -2, 2**31 - 1], dtype=torch.int32),
            "flags": torch.tensor([True, False]),
            "ω": torch.tensor(2.5, dtype=torch.float32),
        }
        lines = [f"metadata {json.dumps(meta, sort_keys=True, ensure_ascii=False)}"]
        assert meta == {"format": "pt", "writer": "@walkjump/tensor"}, meta
        assert set(ours) == set(want), sorted(ours)
        for name in sorted(want):
            a, b = ours[name], want[name]
            assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), (name, a, b)
            lines.append(f"{name} {TORCH_TO_ST[a.dtype]} {list(a.shape)} {values(a)} ok")
        # Re-serializing the tensors PyTorch read must give back the same bytes.
        assert serialize(ours, meta) == (OUT / "ours.safetensors").read_bytes(), "round trip through torch changed bytes"
        lines.append("re-serialized by the reference-layout writer: byte-identical")
        (OUT / "ours.verify.txt").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    tensors = torch_fixture()
    (OUT / "torch.safetensors").write_bytes(serialize(tensors, {"format": "pt", "source": "tooling/reference/safetensors_fixture.py"}))
    expected = {name: {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "values": values(t)} for name, t in tensors.items()}
    (OUT / "torch.expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    ref, meta = reference_fixture()
    (OUT / "reference.safetensors").write_bytes(serialize(ref, meta))
    print(f"wrote {OUT}/torch.safetensors, torch.expected.json, reference.safetensors (torch {torch.__version__})")


if __name__ == "__main__":
    main()
