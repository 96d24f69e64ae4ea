/**
 * 16-bit and mixed precision for DJL's TensorFlow engine: TensorFlow's own graph rewrites
 * configured through the model's load options, XLA JIT, a device check against the devices
 * TensorFlow really has, and a verification of what the executed graph computes in.
 */
package io.github.djlprecision.tensorflow;
