package io.github.djlprecision.pytorch;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * What an {@link NDManager} holds, counted over its whole tree: sub-managers (DJL has no public
 * way to list them, so {@code BaseNDManager.resources} is read by reflection) and arrays ({@code
 * getManagedArrays}, public).
 *
 * @param managers the sub-managers, at any depth
 * @param arrays the arrays alive, at any depth
 */
record ManagerTree(int managers, int arrays) {

    static ManagerTree of(NDManager manager) {
        return new ManagerTree(subManagers(manager), manager.getManagedArrays().size());
    }

    private static int subManagers(NDManager manager) {
        Map<?, ?> resources;
        try {
            Field field = BaseNDManager.class.getDeclaredField("resources");
            field.setAccessible(true);
            resources = (Map<?, ?>) field.get(manager);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's BaseNDManager changed: " + e, e);
        }
        int count = 0;
        for (Object resource : resources.values()) {
            if (resource instanceof NDManager) {
                count += 1 + subManagers((NDManager) resource);
            }
        }
        return count;
    }
}
