"""Serializer pieces shared by every app's API."""

from rest_framework import serializers


# A photo's three thumbnails (``thumb_small``, ``thumb_medium``, ``thumb_large``), null
# until the task that makes them has run; subclasses give the model and fields. (No
# docstring: the API schema would give it to subclasses that have none.)
class ThumbnailsSerializer(serializers.ModelSerializer):
    small = serializers.ImageField(
        source="thumb_small", read_only=True, allow_null=True
    )
    medium = serializers.ImageField(
        source="thumb_medium", read_only=True, allow_null=True
    )
    large = serializers.ImageField(
        source="thumb_large", read_only=True, allow_null=True
    )
