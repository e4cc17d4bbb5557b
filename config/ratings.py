"""The API's representation of a rated record's kept figures (``models.RatedModel``)."""

from rest_framework import serializers

from config.models import RATING_STARS


class StarCountsSerializer(serializers.Serializer):
    stars = serializers.IntegerField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)


class RatingSummarySerializer(serializers.Serializer):
    """Count, average (0 without reviews) and distribution of the visible reviews."""

    count = serializers.IntegerField(source="rating_count", read_only=True)
    average = serializers.DecimalField(
        source="rating_average", max_digits=3, decimal_places=2, read_only=True
    )
    distribution = StarCountsSerializer(
        source="rating_distribution", many=True, read_only=True
    )


__all__ = ["RATING_STARS", "RatingSummarySerializer"]
