package io.github.djlprecision.pytorch;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The wrappers one plugin put in place of child blocks, and their removal when it closes.
 *
 * <p>DJL offers no way to replace a child: {@code getChildren()} returns a copy, and the list that
 * DJL's sequential and parallel blocks run their forward pass from is {@code AbstractBlock}'s
 * protected {@code children} field, so it is changed by reflection, keeping each child's key and
 * position (parameter names and the saved format depend on them). A child that already holds a
 * wrapper of the same kind is shared, never wrapped twice: each wrapper counts the plugins that
 * hold it, and the original child comes back when the last one closes.
 */
final class WrappedChildren implements AutoCloseable {

    private static final Field CHILDREN = childrenField();

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Returns whether children can be replaced on this JVM (the field is accessible).
     *
     * @return true if they can
     */
    static boolean isAvailable() {
        return CHILDREN != null;
    }

    /**
     * Puts a wrapper in place of a child, or shares the wrapper of that kind already there.
     *
     * @param container the block whose child list holds the child
     * @param child the child, as the list holds it
     * @param kind the wrapper's class
     * @param factory makes the wrapper around the child
     * @param <W> the wrapper type
     * @return the wrapper now in the list
     * @throws IllegalStateException if the child is no longer in the container
     */
    <W extends DelegatingBlock> W wrap(
            Block container, Block child, Class<W> kind, Function<Block, W> factory) {
        synchronized (container) {
            BlockList list = children(container);
            int index = indexOf(list, child);
            if (index < 0) {
                throw new IllegalStateException(
                        "Block " + child + " is no longer a child of " + container);
            }
            W wrapper;
            if (kind.isInstance(child)) {
                wrapper = kind.cast(child);
            } else {
                wrapper = factory.apply(child);
                replace(list, index, wrapper);
            }
            wrapper.hold();
            entries.add(new Entry(container, wrapper));
            return wrapper;
        }
    }

    /** Releases every wrapper this plugin holds; the last holder puts the original back. */
    @Override
    public void close() {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry entry = entries.get(i);
            synchronized (entry.container) {
                if (entry.wrapper.release() == 0) {
                    BlockList list = children(entry.container);
                    int index = indexOf(list, entry.wrapper);
                    if (index >= 0) {
                        replace(list, index, entry.wrapper.getBlock());
                    }
                }
            }
        }
        entries.clear();
    }

    private static int indexOf(BlockList list, Block child) {
        for (int i = 0; i < list.size(); i++) {
            if (list.valueAt(i) == child) {
                return i;
            }
        }
        return -1;
    }

    private static void replace(BlockList list, int index, Block block) {
        String key = list.keyAt(index);
        list.remove(index);
        list.add(index, key, block);
    }

    private static BlockList children(Block container) {
        try {
            return (BlockList) CHILDREN.get(container);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot reach the children of " + container, e);
        }
    }

    private static Field childrenField() {
        try {
            Field field = AbstractBlock.class.getDeclaredField("children");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private record Entry(Block container, DelegatingBlock wrapper) {}
}
