"""PyTorch twins of the DJL models of the GPU benchmarks (GpuModels.java): same names, sizes,
layouts and synthetic batches. Used by train_torch.py and infer_torch.py.

- mlp: 4 x (Linear(4096)+ReLU) on 4096 input features, then Linear(10); batch 4096.
- resnet50: torchvision's resnet50 (ResNet v1.5; DJL's ResNetV1 puts the stride in the first 1x1
  convolution of a bottleneck, torchvision in the 3x3), 224x224, 1000 classes; batch 128.
- bert: DJL's BertBlock op for op (see BertTwin), BERT-base sizes, sequence 128, a Linear head to
  2 classes on the pooled output; batch 32.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

SIZES = {
    "mlp": {
        "full": dict(features=4096, hidden=4096, layers=4, classes=10, batch=4096),
        "tiny": dict(features=64, hidden=64, layers=4, classes=10, batch=16),
    },
    "resnet50": {
        "full": dict(image=224, classes=1000, batch=128),
        "tiny": dict(image=64, classes=10, batch=2),
    },
    "bert": {
        "full": dict(vocabulary=30522, hidden=768, layers=12, heads=12, intermediate=3072,
                     sequence=128, types=2, classes=2, batch=32),
        "tiny": dict(vocabulary=100, hidden=32, layers=2, heads=2, intermediate=64,
                     sequence=8, types=2, classes=2, batch=4),
    },
}


def sizes(model, tiny):
    """The sizes of a model, as GpuModels.of(name, tiny) has them."""
    if model not in SIZES:
        raise ValueError(f"Unknown model '{model}'; accepted: {', '.join(SIZES)}")
    return SIZES[model]["tiny" if tiny else "full"]


def describe(model, s):
    """The architecture and sizes in words, as GpuModels.java describes its twin."""
    if model == "mlp":
        return (f"MLP {s['features']} -> {s['layers']} x (Linear({s['hidden']})+ReLU) -> "
                f"Linear({s['classes']})")
    if model == "resnet50":
        return f"ResNet-50 (torchvision), {s['image']}x{s['image']}, {s['classes']} classes"
    return (f"BERT twin of DJL BertBlock, hidden {s['hidden']}, {s['layers']} layers, "
            f"{s['heads']} heads, intermediate {s['intermediate']}, sequence {s['sequence']}, "
            f"vocabulary {s['vocabulary']}, head to {s['classes']} classes")


def build(model, s):
    """The network, on the CPU, with PyTorch's default initialisation."""
    if model == "mlp":
        layers = []
        width = s["features"]
        for _ in range(s["layers"]):
            layers += [nn.Linear(width, s["hidden"]), nn.ReLU()]
            width = s["hidden"]
        return nn.Sequential(*layers, nn.Linear(width, s["classes"]))
    if model == "resnet50":
        import torchvision
        return torchvision.models.resnet50(num_classes=s["classes"])
    if model == "bert":
        return BertTwin(s["vocabulary"], s["hidden"], s["layers"], s["heads"], s["intermediate"],
                        s["sequence"], s["types"], s["classes"])
    raise ValueError(f"Unknown model '{model}'; accepted: {', '.join(SIZES)}")


def inputs(model, s, batch, device):
    """A random input batch on the device: a list of the model's inputs."""
    if model == "mlp":
        return [torch.randn(batch, s["features"], device=device)]
    if model == "resnet50":
        return [torch.randn(batch, 3, s["image"], s["image"], device=device)]
    if model == "bert":
        shape = (batch, s["sequence"])
        return [torch.randint(0, s["vocabulary"], shape, device=device),
                torch.randint(0, s["types"], shape, device=device),
                torch.ones(shape, device=device)]
    raise ValueError(f"Unknown model '{model}'; accepted: {', '.join(SIZES)}")


def labels(s, batch, device):
    """Random class labels (int64, shape (batch,)) on the device."""
    return torch.randint(0, s["classes"], (batch,), device=device)


class AxisBatchNorm(nn.Module):
    """DJL's BatchNorm.builder().optAxis(2) on (batch, sequence, hidden), as BertBlock uses it
    where BERT has LayerNorm: each hidden feature is normalised over batch and sequence. DJL's
    PyTorch engine swaps axes 1 and 2, runs batch_norm and swaps back; DJL's momentum 0.9 (weight
    of the old running value) is PyTorch's 0.1."""

    def __init__(self, features):
        super().__init__()
        self.norm = nn.BatchNorm1d(features, eps=1e-5, momentum=0.1)

    def forward(self, x):
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class Attention(nn.Module):
    """DJL's ScaledDotProductAttentionBlock, self-attention with a precomputed 4-D mask offset."""

    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads = heads
        self.key = nn.Linear(hidden, hidden)
        self.query = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.result = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask_offset):
        b, s, e = x.shape
        n = self.heads
        h = e // n
        k = self.key(x).reshape(b, s, n, h).transpose(1, 2)
        q = self.query(x).reshape(b, s, n, h).transpose(1, 2)
        v = self.value(x).reshape(b, s, n, h).transpose(1, 2)
        scores = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(h))
        # the fp32 offset promotes the scores to fp32, so softmax runs in fp32 as in DJL
        probs = self.dropout(torch.softmax(scores + mask_offset, dim=3))
        # under autocast matmul casts probs itself; the explicit cast lets 16-true (.half()) run
        out = (probs.to(v.dtype) @ v).transpose(1, 2).reshape(b, s, e)
        return self.result(out)


class EncoderBlock(nn.Module):
    """DJL's TransformerEncoderBlock: post-norm with AxisBatchNorm, GELU feed-forward. As in DJL,
    the second residual adds the block's input, not the first norm's output."""

    def __init__(self, hidden, heads, intermediate, dropout):
        super().__init__()
        self.attention = Attention(hidden, heads, dropout)
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = AxisBatchNorm(hidden)
        self.ffn_in = nn.Linear(hidden, intermediate)
        self.ffn_out = nn.Linear(intermediate, hidden)
        self.output_dropout = nn.Dropout(dropout)
        self.output_norm = AxisBatchNorm(hidden)

    def forward(self, x, mask_offset):
        attended = self.attention_dropout(self.attention(x, mask_offset))
        normed = self.attention_norm(attended + x)
        fed = self.output_dropout(self.ffn_out(F.gelu(self.ffn_in(normed))))
        return self.output_norm(fed + x)


class BertTwin(nn.Module):
    """DJL's BertBlock plus a Linear head on its pooled output (GpuModels.Bert in Java); Linear
    weights keep PyTorch's default initialisation, which the Java side sets too.

    Embeddings: token, type and a full position table (sequence x hidden) added, AxisBatchNorm,
    dropout 0.1. Mask (batch, sequence) -> ones(b, s, 1) @ mask(b, 1, s) -> offset
    (1 - m) * -100000 of shape (b, 1, s, s), in fp32. Pooled output: tanh(Linear(x[:, 1, :])),
    position 1 as in BertBlock, squeezed (so batch 1 gives a 1-D output, as in DJL)."""

    def __init__(self, vocabulary, hidden, layers, heads, intermediate, sequence, types, classes,
                 dropout=0.1):
        super().__init__()
        self.token_table = nn.Parameter(torch.empty(vocabulary, hidden))
        self.type_table = nn.Parameter(torch.empty(types, hidden))
        self.position_table = nn.Parameter(torch.empty(sequence, hidden))
        for table in (self.token_table, self.type_table, self.position_table):
            nn.init.xavier_uniform_(table)  # DJL's default for WEIGHT parameters
        self.embedding_norm = AxisBatchNorm(hidden)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(hidden, heads, intermediate, dropout) for _ in range(layers))
        self.pooling = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, token_ids, type_ids, mask):
        b, s = token_ids.shape
        x = self.token_table[token_ids] + self.type_table[type_ids] + self.position_table
        x = self.embedding_dropout(self.embedding_norm(x))
        ones = torch.ones(b, s, 1, dtype=mask.dtype, device=mask.device)
        mask3d = (ones @ mask.reshape(b, 1, s)).float()
        offset = (mask3d.reshape(b, 1, s, s) * -1.0 + 1.0) * -100000.0
        for block in self.blocks:
            x = block(x, offset)
        pooled = torch.tanh(self.pooling(x[:, 1, :].squeeze()))
        return self.head(pooled)
