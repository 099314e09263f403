// The NativeError a call to the addon throws (the test fails if it does not throw one).
import * as native from '../../src/native';

export function thrown(fn: () => unknown): native.NativeError {
  try {
    fn();
  } catch (err) {
    if (native.isNativeError(err)) return err;
    throw err;
  }
  throw new Error('expected a throw');
}
