import * as tf from '@tensorflow/tfjs';

/**
 * Lets models saved under a former class name load as `cls`: a model.json naming `oldName` deserialises to a `cls`
 * built from the saved config (which must be one `cls` accepts). Saving writes `cls.className` again.
 */
export function registerClassAlias(cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>, oldName: string): void {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const existing = map[oldName];
  if (existing && existing[0] !== cls) throw new Error(`registerClassAlias: "${oldName}" is already the class name of another class.`);
  map[oldName] = [cls, cls.fromConfig];
}
