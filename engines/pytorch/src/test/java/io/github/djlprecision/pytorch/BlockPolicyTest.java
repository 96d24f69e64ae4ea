package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.BlockPolicy.Verdict.AS_IS;
import static io.github.djlprecision.pytorch.BlockPolicy.Verdict.FP32;
import static io.github.djlprecision.pytorch.BlockPolicy.Verdict.OWN_FORWARD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which blocks the policy lets run under autocast, judged by class and by where code lives. */
class BlockPolicyTest {

    private static final BlockPolicy BF16_CPU = BlockPolicy.of(DataType.BFLOAT16, Device.cpu());
    private static final BlockPolicy BF16_GPU = BlockPolicy.of(DataType.BFLOAT16, Device.gpu(0));
    private static final BlockPolicy FP16_CPU = BlockPolicy.of(DataType.FLOAT16, Device.cpu());
    private static final BlockPolicy FP16_GPU = BlockPolicy.of(DataType.FLOAT16, Device.gpu(0));

    @Test
    void djlFactoryLambdasRunAsTheyAreUnderBf16() {
        for (Block block :
                List.of(
                        Activation.reluBlock(),
                        Activation.leakyReluBlock(0.1f),
                        Activation.geluBlock(),
                        Blocks.batchFlattenBlock(),
                        Blocks.batchFlattenBlock(8),
                        Blocks.identityBlock(),
                        Pool.maxPool2dBlock(new Shape(2, 2)),
                        Pool.globalAvgPool2dBlock())) {
            assertEquals(AS_IS, BF16_CPU.judge(block), block.toString());
        }
    }

    @Test
    void userLambdasRunInFp32UnderBf16WhateverTheirNameOrWhatTheyCall() {
        // named like DJL's blocks, one even calling DJL's own relu: the code is the user's
        assertEquals(FP32, BF16_CPU.judge(UserBlocks.lambdaNamedRelu()));
        assertEquals(FP32, BF16_CPU.judge(new LambdaBlock(Activation::relu, "ReLU")));
        assertEquals(FP32, BF16_CPU.judge(UserBlocks.singletonNamedBatchFlatten()));
        // DJL's singleton wrapper around a user function is judged by the user function
        assertEquals(FP32, BF16_CPU.judge(LambdaBlock.singleton(Blocks::batchFlatten)));
    }

    @Test
    void blocksAreJudgedByTheirExactClass() {
        assertEquals(AS_IS, BF16_CPU.judge(Linear.builder().setUnits(4).build()));
        assertEquals(FP32, BF16_CPU.judge(new UserBlocks.SoftmaxLinear()));
        assertEquals(FP32, BF16_CPU.judge(new UserBlocks.SoftmaxBlock()));
        assertEquals(OWN_FORWARD, BF16_CPU.judge(new SequentialBlock()));
        assertEquals(FP32, BF16_CPU.judge(new SequentialBlock() {}), "a subclass of a container");
    }

    @Test
    void aParallelBlockRunsAsItIsOnlyWithDjlsOwnJoin() {
        ParallelBlock user = new ParallelBlock(list -> list.get(0));
        assertEquals(FP32, BF16_CPU.judge(user));
        // ResNetV1's residual unit: a ParallelBlock joined by a lambda written in ResNetV1
        Block resnet =
                ResNetV1.builder()
                        .setImageShape(new Shape(3, 32, 32))
                        .setNumLayers(18)
                        .setOutSize(4)
                        .build();
        assertTrue(IslandPlan.of(resnet, BF16_CPU).isEmpty());
    }

    @Test
    void attentionOnItsOwnRunsInFp32ButBertBlockAsItIs() {
        Block attention =
                ScaledDotProductAttentionBlock.builder()
                        .setEmbeddingSize(8)
                        .setHeadCount(2)
                        .build();
        assertEquals(FP32, BF16_CPU.judge(attention));
        Block bert =
                BertBlock.builder()
                        .setTokenDictionarySize(16)
                        .optEmbeddingSize(8)
                        .optTransformerBlockCount(1)
                        .optAttentionHeadCount(2)
                        .optHiddenSize(16)
                        .optMaxSequenceLength(4)
                        .build();
        assertEquals(AS_IS, BF16_CPU.judge(bert));
        // fp16 has no abort risk: DJL names fp16, so softmax runs (in fp16)
        assertEquals(OWN_FORWARD, FP16_CPU.judge(attention));
    }

    @Test
    void lstmRunsInFp32OnCpuOnlyAndEveryOtherBlockRunsUnderFp16() {
        Block lstm = LSTM.builder().setStateSize(4).setNumLayers(1).build();
        assertEquals(FP32, FP16_CPU.judge(lstm));
        assertEquals(FP32, BF16_CPU.judge(lstm));
        assertEquals(OWN_FORWARD, FP16_GPU.judge(lstm));
        assertEquals(AS_IS, BF16_GPU.judge(lstm));
        assertEquals(
                OWN_FORWARD, FP16_CPU.judge(GRU.builder().setStateSize(4).setNumLayers(1).build()));
        assertEquals(OWN_FORWARD, FP16_CPU.judge(UserBlocks.lambdaNamedRelu()));
    }

    @Test
    void islandsArePlacedAtTheLargestUnsafeChildOfAContainer() {
        SequentialBlock inner =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(UserBlocks.lambdaNamedRelu());
        SequentialBlock model =
                new SequentialBlock()
                        .add(Activation.reluBlock())
                        .add(inner)
                        .add(new UserBlocks.SoftmaxBlock());
        IslandPlan plan = IslandPlan.of(model, BF16_CPU);
        assertFalse(plan.wholeModel());
        assertEquals("02SequentialBlock/02LambdaBlock, 03SoftmaxBlock", plan.describe());
        assertTrue(IslandPlan.of(model, FP16_CPU).isEmpty());
    }

    @Test
    void anUnsafeBlockInsideAUserBlockMakesTheUserBlockTheIsland() {
        // under fp16 a user block runs as it is, unless it holds an LSTM on CPU
        SequentialBlock model =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(new LstmHolder())
                        .add(
                                new SequentialBlock()
                                        .add(
                                                LSTM.builder()
                                                        .setStateSize(4)
                                                        .setNumLayers(1)
                                                        .build()));
        assertEquals(
                "02LstmHolder, 03SequentialBlock/01LSTM",
                IslandPlan.of(model, FP16_CPU).describe());
        IslandPlan root = IslandPlan.of(new LstmHolder(), FP16_CPU);
        assertTrue(root.wholeModel());
        assertEquals("the whole model (LstmHolder)", root.describe());
    }

    /** A user block with an LSTM child, which the container rule cannot reach inside. */
    private static final class LstmHolder extends ai.djl.nn.AbstractBlock {

        LstmHolder() {
            addChildBlock("lstm", LSTM.builder().setStateSize(4).setNumLayers(1).build());
        }

        @Override
        protected NDList forwardInternal(
                ai.djl.training.ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                ai.djl.util.PairList<String, Object> params) {
            return children.get(0).getValue().forward(parameterStore, inputs, training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return children.get(0).getValue().getOutputShapes(inputShapes);
        }
    }
}
