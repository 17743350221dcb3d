// Registers every fusion layer class with the page's tf.serialization, so a stock `tf.loadLayersModel(url)` reads an
// exported model. Layers-only entries: nothing here imports a Node module.
import '@fusion/core/layers';
import '@fusion/encoders/layers';
import '@fusion/heads/layers';
import '@fusion/fusion/layers';
import * as tf from '@tensorflow/tfjs';

/** The class names of the fusion layers registered with tf.serialization (custom layers a bundle may use). */
export function registeredLayers(): string[] {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>;
  return Object.keys(map).filter((name) => name.startsWith('Fusion')).sort();
}
